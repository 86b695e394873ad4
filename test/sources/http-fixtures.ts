// Loopback HTTP helpers for the source tests: every server listens on 127.0.0.1 only.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function listen(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** How one response misbehaves: cut the connection, or hold the rest of the body, at a byte. */
export interface Fault {
  /** Absolute byte offset in the file where the fault happens. */
  readonly atByte: number;
  readonly kind: "drop" | "pause";
  /** For "pause": the rest of the body is sent when this settles. */
  readonly release?: Promise<void>;
}

/** Serves `bytes` like a static file server: Range requests give 206 (or 416 past the end). */
export async function serveBytes(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  bytes: Uint8Array,
  headers: Record<string, string> = {},
  fault?: Fault,
): Promise<void> {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const start = m ? Number(m[1]) : 0;
  if (m && start >= bytes.length) {
    res.writeHead(416, { "content-range": `bytes */${bytes.length}`, ...headers });
    res.end();
    return;
  }
  res.writeHead(m ? 206 : 200, {
    "content-length": String(bytes.length - start),
    "accept-ranges": "bytes",
    ...(m ? { "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    ...headers,
  });
  const CHUNK = 16 * 1024;
  for (let off = start; off < bytes.length; ) {
    if (fault && off === fault.atByte) {
      if (fault.kind === "drop") {
        res.destroy();
        return;
      }
      await fault.release;
      if (res.destroyed) return;
    }
    const end = Math.min(bytes.length, off + CHUNK, fault && off < fault.atByte ? fault.atByte : Infinity);
    if (!res.write(bytes.subarray(off, end))) await once(res, "drain");
    if (res.destroyed) return;
    off = end;
  }
  res.end();
}
