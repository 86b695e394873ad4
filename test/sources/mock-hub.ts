// A loopback stand-in for the Hugging Face hub, answering the way the hub does: the tree API with
// `lfs.oid` (sha256) and `Link: rel="next"` pages; `/resolve/main/` answering 302 to a CDN on
// another origin with `x-linked-size` / `x-linked-etag` for LFS files, 200 with a git etag for small
// files; 401 with `x-error-code: GatedRepo` / `RepoNotFound`. The CDN honours Range (206/416).
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { listen, serveBytes, type Fault, type TestServer } from "./http-fixtures.js";

export interface MockRepo {
  readonly files: Readonly<Record<string, Uint8Array>>;
  /** Files served as regular git files (no LFS sha256); all others are LFS. */
  readonly gitFiles?: readonly string[];
  /** Serves 401 GatedRepo unless `authorization: Bearer <token>`. */
  readonly gatedToken?: string;
  /** Files whose advertised sha256 is not the sha256 of the bytes served. */
  readonly lyingSha?: readonly string[];
  /** Files served directly by the hub with their sha256 as a plain etag (as some mirrors do), unlisted as LFS. */
  readonly etagSha?: readonly string[];
}

export interface HubRequest {
  readonly server: "hub" | "cdn";
  readonly path: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
}

export interface MockHub {
  readonly endpoint: string;
  readonly requests: HubRequest[];
  /** The next CDN response for this repo file misbehaves once. */
  fault(repo: string, file: string, fault: Fault): void;
  close(): Promise<void>;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const PAGE = 2;

export async function startMockHub(repos: Readonly<Record<string, MockRepo>>): Promise<MockHub> {
  const requests: HubRequest[] = [];
  const faults = new Map<string, Fault>();
  const blobs = new Map<string, Uint8Array>();
  const advertised = (repo: MockRepo, file: string, bytes: Uint8Array) =>
    repo.lyingSha?.includes(file) ? sha256(Buffer.concat([bytes, Buffer.from("x")])) : sha256(bytes);
  for (const [name, repo] of Object.entries(repos)) for (const [file, bytes] of Object.entries(repo.files)) blobs.set(`${name}/${file}`, bytes);

  const log = (server: HubRequest["server"], req: IncomingMessage) =>
    requests.push({ server, path: decodeURIComponent(req.url!), range: req.headers.range, authorization: req.headers.authorization });

  const cdn: TestServer = await listen(async (req, res) => {
    log("cdn", req);
    const key = decodeURIComponent(new URL(req.url!, "http://x").pathname.slice("/blobs/".length));
    const bytes = blobs.get(key);
    if (!bytes) return void res.writeHead(404).end();
    const fault = faults.get(key);
    faults.delete(key);
    await serveBytes(req, res, bytes, { etag: `"cdn-${key.length}"` }, fault);
  });

  const hub: TestServer = await listen(async (req, res) => {
    log("hub", req);
    const url = new URL(req.url!, "http://x");
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/main$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const repoName = tree?.[1] ?? resolve?.[1];
    const repo = repoName === undefined ? undefined : repos[repoName];
    if (!repo) {
      res.writeHead(401, { "x-error-code": "RepoNotFound", "x-error-message": "Repository not found" });
      return void res.end("Repository not found");
    }
    if (tree) {
      const paths = Object.keys(repo.files).sort();
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const page = paths.slice(cursor, cursor + PAGE).map((path) => {
        const bytes = repo.files[path]!;
        const lfs = repo.gitFiles?.includes(path) || repo.etagSha?.includes(path) ? {} : { lfs: { oid: advertised(repo, path, bytes), size: bytes.length, pointerSize: 134 } };
        return { type: "file", oid: sha256(bytes).slice(0, 40), size: bytes.length, path, ...lfs };
      });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (cursor + PAGE < paths.length) headers.link = `<${hub.url}${url.pathname}?recursive=true&cursor=${cursor + PAGE}>; rel="next"`;
      res.writeHead(200, headers);
      return void res.end(JSON.stringify(page));
    }
    if (!resolve) return void res.writeHead(404).end();
    if (repo.gatedToken !== undefined && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      res.writeHead(401, { "x-error-code": "GatedRepo", "x-error-message": "Access to this model is restricted" });
      return void res.end();
    }
    const file = decodeURIComponent(resolve[2]!);
    const bytes = repo.files[file];
    if (!bytes) {
      res.writeHead(404, { "x-error-code": "EntryNotFound" });
      return void res.end();
    }
    if (repo.gitFiles?.includes(file)) return serveBytes(req, res, bytes, { etag: `"${sha256(bytes).slice(0, 40)}"` });
    if (repo.etagSha?.includes(file)) return serveBytes(req, res, bytes, { etag: `"${advertised(repo, file, bytes)}"` });
    res.writeHead(302, {
      location: `${cdn.url}/blobs/${encodeURIComponent(`${repoName}/${file}`)}`,
      "x-linked-size": String(bytes.length),
      "x-linked-etag": `"${advertised(repo, file, bytes)}"`,
      etag: `"${sha256(bytes).slice(0, 40)}"`,
    });
    res.end();
  });

  return {
    endpoint: hub.url,
    requests,
    fault(repo, file, fault) {
      faults.set(`${repo}/${file}`, fault);
    },
    async close() {
      await Promise.all([hub.close(), cdn.close()]);
    },
  };
}
