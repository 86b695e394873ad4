import { checkRange, type ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";

/**
 * A ByteSource over a URL: each read is one HTTP Range request whose body is streamed into a buffer of the
 * read's size, so a model file is never held whole in memory. The server must answer ranges with 206 (RFC 9110
 * section 14); one that sends the whole file instead is refused rather than downloaded.
 */
export async function openUrlSource(url: string, opts: { readonly signal?: AbortSignal | undefined } = {}): Promise<ByteSource> {
  const size = await probeSize(url, opts.signal);
  const source: ByteSource = {
    name: url,
    size,
    async read(offset, length) {
      checkRange(source, offset, length);
      if (length === 0) return new Uint8Array(0);
      const response = await rangeRequest(url, offset, offset + length - 1, opts.signal);
      return readBody(url, response, length, offset);
    },
    async close() {},
  };
  return source;
}

/** The total size from the Content-Range of a one-byte range request. */
async function probeSize(url: string, signal: AbortSignal | undefined): Promise<number> {
  const response = await rangeRequest(url, 0, 0, signal);
  await response.body?.cancel();
  const total = /\/(\d+)\s*$/.exec(response.headers.get("Content-Range") ?? "")?.[1];
  if (total === undefined) throw new GemmaError("DOWNLOAD_FAILED", `${url}: the server's range answer has no total size in Content-Range`);
  return Number(total);
}

async function rangeRequest(url: string, first: number, last: number, signal: AbortSignal | undefined): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { Range: `bytes=${first}-${last}` }, signal });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw new GemmaError("DOWNLOAD_FAILED", `${url}: the request for bytes ${first}-${last} failed: ${String(e)}`, { cause: e });
  }
  if (response.status === 206) return response;
  await response.body?.cancel();
  if (response.status === 200) {
    throw new GemmaError("DOWNLOAD_FAILED", `${url}: the server ignores HTTP range requests (it answered 200 instead of 206); models are read by ranges`);
  }
  if (response.status === 404) throw new GemmaError("SOURCE_NOT_FOUND", `${url}: not found (HTTP 404)`);
  throw new GemmaError("DOWNLOAD_FAILED", `${url}: HTTP ${response.status} ${response.statusText} for bytes ${first}-${last}`);
}

/** Streams a range answer into one buffer of exactly `length` bytes. */
async function readBody(url: string, response: Response, length: number, offset: number): Promise<Uint8Array> {
  const start = /^bytes\s+(\d+)-/.exec(response.headers.get("Content-Range") ?? "")?.[1];
  if (start !== undefined && Number(start) !== offset) {
    await response.body?.cancel();
    throw new GemmaError("DOWNLOAD_FAILED", `${url}: asked for bytes from offset ${offset}, the server sent them from ${start}`);
  }
  const out = new Uint8Array(length);
  let filled = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (filled + value.length > length) {
      await reader.cancel();
      throw new GemmaError("DOWNLOAD_SIZE", `${url}: the range at byte offset ${offset} holds more than the ${length} bytes asked for`);
    }
    out.set(value, filled);
    filled += value.length;
  }
  if (filled !== length) {
    throw new GemmaError("TRUNCATED", `${url}: the range at byte offset ${offset} ended after ${filled} of ${length} bytes`);
  }
  return out;
}
