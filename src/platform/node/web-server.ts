import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, extname, resolve, sep } from "node:path";

/**
 * The static server of the browser demo (`gemma web`): the built page (dist/browser) and one model file, the
 * latter with HTTP range requests (RFC 9110 section 14), which the page reads the model by.
 *
 * With `isolation` every answer carries the headers that make the page cross-origin isolated, without which a
 * browser gives no SharedArrayBuffer and so no threads:
 *   Cross-Origin-Opener-Policy: same-origin
 *   Cross-Origin-Embedder-Policy: require-corp
 */
export interface WebServerOptions {
  /** The folder served at "/" (index.html for "/"). */
  readonly root: string;
  /** A GGUF file served at `/models/<its name>`, and named in `/config.json` for the page to offer. */
  readonly modelPath?: string | undefined;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Send the COOP/COEP headers (default true). */
  readonly isolation?: boolean;
  /** Called once a model request is answered: its Range header and the body bytes sent. */
  readonly onModelRequest?: (request: { readonly range: string | undefined; readonly bytes: number; readonly status: number }) => void;
}

export interface WebServer {
  /** "http://host:port" as bound. */
  readonly url: string;
  /** Where the model is served, when there is one. */
  readonly modelUrl: string | undefined;
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".wasm": "application/wasm",
  ".gguf": "application/octet-stream",
};

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const root = resolve(opts.root);
  const isolation = opts.isolation ?? true;
  const modelRoute = opts.modelPath === undefined ? undefined : `/models/${encodeURIComponent(basename(opts.modelPath))}`;
  const server = createServer((req, res) => {
    void answer(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
      res.end(String(e));
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    if (isolation) {
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    if (req.method !== "GET" && req.method !== "HEAD") return plain(res, 405, "only GET and HEAD");
    const path = decodedPath(req.url ?? "/");
    if (path === undefined) return plain(res, 400, "malformed URL");
    if (path === "/config.json") {
      const body = JSON.stringify({ modelUrl: modelRoute ?? null, modelName: opts.modelPath === undefined ? null : basename(opts.modelPath) });
      res.writeHead(200, { "Content-Type": CONTENT_TYPES[".json"]!, "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
      return;
    }
    if (modelRoute !== undefined && path === decodeURIComponent(modelRoute)) return serveFile(req, res, opts.modelPath!, true);
    const file = resolve(root, `.${path.endsWith("/") ? `${path}index.html` : path}`);
    if (file !== root && !file.startsWith(root + sep)) return plain(res, 404, "not found");
    return serveFile(req, res, file, false);
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, file: string, isModel: boolean): Promise<void> {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return plain(res, 404, "not found");
    const size = info.size;
    const rangeHeader = req.headers.range;
    let first = 0;
    let last = size - 1;
    let status = 200;
    if (rangeHeader !== undefined) {
      const range = parseRange(rangeHeader, size);
      if (range === "unsatisfiable") {
        res.writeHead(416, { "Content-Range": `bytes */${size}` });
        res.end();
        if (isModel) opts.onModelRequest?.({ range: rangeHeader, bytes: 0, status: 416 });
        return;
      }
      if (range) {
        [first, last] = range;
        status = 206;
        res.setHeader("Content-Range", `bytes ${first}-${last}/${size}`);
      }
    }
    const length = last - first + 1;
    res.writeHead(status, {
      "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
      "Content-Length": String(length),
      "Accept-Ranges": "bytes",
      "Cache-Control": isModel ? "no-cache" : "no-store",
      // validators (RFC 9110 section 8.8): the page resumes a cached download only while they stay the same
      ETag: `"${size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`,
      "Last-Modified": info.mtime.toUTCString(),
    });
    if (req.method === "HEAD" || length === 0) {
      res.end();
      if (isModel) opts.onModelRequest?.({ range: rangeHeader, bytes: 0, status });
      return;
    }
    const stream = createReadStream(file, { start: first, end: last });
    let sent = 0;
    stream.on("data", (chunk) => (sent += chunk.length));
    stream.pipe(res);
    await new Promise<void>((done) => res.once("close", done));
    stream.destroy();
    if (isModel) opts.onModelRequest?.({ range: rangeHeader, bytes: sent, status });
  }

  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    modelUrl: modelRoute === undefined ? undefined : url + modelRoute,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** One `bytes=` range as [first, last], undefined to send the whole file (absent, multiple or malformed ranges). */
function parseRange(header: string, size: number): [number, number] | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    return [Math.max(0, size - suffix), size - 1];
  }
  const first = Number(m[1]);
  const last = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (first >= size || last < first) return "unsatisfiable";
  return [first, last];
}

/** The request's path with %-escapes decoded; undefined when they are malformed. */
function decodedPath(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url, "http://localhost").pathname);
  } catch {
    return undefined;
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
  res.end(text);
}
