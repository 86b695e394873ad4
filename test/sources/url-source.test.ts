import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { loadModel } from "../../src/platform/node/load-model.js";
import { resolveModel } from "../../src/platform/node/sources/resolve.js";
import { isGemmaError } from "../../src/util/errors.js";
import { listen, serveBytes, type Fault, type TestServer } from "./http-fixtures.js";

const TINY = new URL("../fixtures/tiny/gemma3.gguf", import.meta.url).pathname;

let bytes: Buffer;
let server: TestServer;
let home: string;
const requests: string[] = [];
let nextFault: Fault | undefined;

before(async () => {
  bytes = await readFile(TINY);
  server = await listen(async (req, res) => {
    requests.push(`${req.url} ${req.headers.range ?? ""}`.trim());
    if (req.url === "/models/tiny.gguf") {
      const fault = nextFault;
      nextFault = undefined;
      return serveBytes(req, res, bytes, {}, fault);
    }
    if (req.url === "/models/page.gguf") return serveBytes(req, res, Buffer.from("<html>not a model</html>"));
    res.writeHead(404).end("no such file");
  });
  home = await mkdtemp(join(tmpdir(), "gemma-url-"));
  process.env.GEMMA_HOME = home; // loadModel's cache
});
after(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

test("a GGUF URL is downloaded once (resuming a dropped transfer) and then served from the cache", async () => {
  const url = `${server.url}/models/tiny.gguf`;
  requests.length = 0;
  nextFault = { atByte: Math.floor(bytes.length / 2), kind: "drop" };
  const first = await resolveModel(url, { home });
  assert.equal(first.kind, "gguf");
  assert.ok(first.kind === "gguf" && (await readFile(first.path)).equals(bytes), "the cached file equals the served one");
  assert.ok(requests.some((r) => /bytes=\d+-/.test(r)), `the second request resumes with a Range: ${requests.join(", ")}`);
  requests.length = 0;
  const again = await resolveModel(url, { home, allowDownload: false });
  assert.deepEqual(again, first);
  assert.deepEqual(requests, [], "no request once cached");
});

test("loadModel takes a URL and runs the same model as the local file", async () => {
  const fromUrl = await loadModel(`${server.url}/models/tiny.gguf`, { threads: 1 });
  const local = await loadModel(TINY, { threads: 1 });
  const ids = [2, 10, 20, 30];
  const a = await fromUrl.generate(ids, { maxTokens: 6, temperature: 0 }).finished();
  const b = await local.generate(ids, { maxTokens: 6, temperature: 0 }).finished();
  assert.deepEqual(a.tokens, b.tokens);
});

test("a URL that does not serve a GGUF is refused by name and leaves nothing in the cache", async () => {
  const url = `${server.url}/models/page.gguf`;
  await assert.rejects(resolveModel(url, { home }), (e: unknown) => isGemmaError(e) && e.code === "GGUF_BAD_MAGIC" && e.message.includes(url));
  await assert.rejects(resolveModel(url, { home, allowDownload: false }), (e: unknown) => isGemmaError(e) && e.code === "SOURCE_NOT_FOUND");
  await assert.rejects(resolveModel(`${server.url}/models/missing.gguf`, { home }), (e: unknown) => isGemmaError(e) && /404/.test(e.message));
  await assert.rejects(resolveModel(`${server.url}/models/readme.txt`, { home }), (e: unknown) => isGemmaError(e) && e.code === "SOURCE_BAD_NAME");
});
