import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join } from "node:path";
import { BROWSER_DIST } from "./build.js";

/**
 * A loopback server for the download tests: the browser build (no isolation headers) and one model file at
 * /models/model.gguf answered by ranges with an ETag, where the test can swap the file (a new ETag), make the
 * server break the connection once it has sent a given number of model bytes, or refuse model requests (offline).
 * Every model byte sent is counted.
 */
export interface ModelServer {
  readonly url: string;
  readonly modelUrl: string;
  /** Model body bytes sent so far. */
  sent: number;
  /** Once `sent` reaches it, every model answer is cut off (the socket destroyed mid-body); undefined: never. */
  breakAfter: number | undefined;
  /** Model requests get no answer at all (the connection closed at once), as when the network is down. */
  offline: boolean;
  /** Serves `path` from now on, under the ETag `etag`. */
  serve(path: string, etag: string): void;
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

export async function startModelServer(path: string, etag: string): Promise<ModelServer> {
  let file = { path, etag };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost").pathname;
    if (url !== "/models/model.gguf") {
      void readFile(join(BROWSER_DIST, url === "/" ? "index.html" : url)).then(
        (body) => res.writeHead(200, { "Content-Type": TYPES[extname(url)] ?? "text/html" }).end(body),
        () => res.writeHead(404).end(),
      );
      return;
    }
    if (model.offline) return void req.socket.destroy();
    const { path, etag } = file;
    void stat(path).then((info) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
      if (!m) return void res.writeHead(400).end("ranges only");
      const first = Number(m[1]);
      const last = Math.min(Number(m[2]), info.size - 1);
      res.writeHead(206, { "Content-Range": `bytes ${first}-${last}/${info.size}`, "Content-Length": String(last - first + 1), ETag: etag, "Cache-Control": "no-cache" });
      const stream = createReadStream(path, { start: first, end: last });
      stream.on("data", (data) => {
        const chunk = data as Buffer;
        const cut = model.breakAfter !== undefined && model.sent + chunk.length > model.breakAfter;
        const part = cut ? chunk.subarray(0, Math.max(0, model.breakAfter! - model.sent)) : chunk;
        model.sent += part.length;
        if (cut) {
          res.write(part);
          stream.destroy();
          res.destroy();
        } else if (!res.write(part)) {
          stream.pause();
          res.once("drain", () => stream.resume());
        }
      });
      stream.on("end", () => res.end());
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const model: ModelServer = {
    url: base,
    modelUrl: `${base}/models/model.gguf`,
    sent: 0,
    breakAfter: undefined,
    offline: false,
    serve: (path, etag) => void (file = { path, etag }),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
  return model;
}
