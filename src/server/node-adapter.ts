import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

/** A web-standard request handler (see app.ts). */
export type FetchHandler = (request: Request) => Promise<Response>;

export interface ListeningServer {
  readonly server: Server;
  /** "http://host:port" as bound (port 0 resolved). */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves a fetch handler over node:http: node parses the HTTP, each request becomes a web Request whose signal
 * aborts when the client disconnects (so a generation stops and frees the model), and the Response body is
 * streamed to the socket as it comes.
 */
export async function listen(handler: FetchHandler, host: string, port: number): Promise<ListeningServer> {
  const server = createServer((req, res) => void serveOne(handler, req, res, host));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serveOne(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, host: string): Promise<void> {
  const aborter = new AbortController();
  // 'close' on the response before it finished: the client went away
  res.once("close", () => {
    if (!res.writableFinished) aborter.abort();
  });
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  }
  const request = new Request(`http://${req.headers.host ?? host}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
    signal: aborter.signal,
    // @ts-expect-error: Node's fetch needs duplex "half" for a streamed request body; the DOM typings lack it
    duplex: "half",
  });
  let response: Response;
  try {
    response = await handler(request);
  } catch (e) {
    response = Response.json({ error: { message: `internal error: ${String(e)}`, type: "server_error", param: null, code: null } }, { status: 500 });
  }
  // an answer sent before the body was read (413, 401): close the connection rather than read the rest
  if (hasBody && !req.complete) res.setHeader("connection", "close");
  const out: Record<string, string> = {};
  response.headers.forEach((v, k) => (out[k] = v));
  res.writeHead(response.status, out);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  aborter.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined), { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((r) => res.once("drain", () => r()).once("close", () => r()));
    }
    res.end();
  } catch {
    res.destroy();
  }
}
