import { checkRange, type ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";

/**
 * Which version of a remote file a source reads: its size and the validators the server sent (RFC 9110 section
 * 8.8). Two reads belong to the same file only if all of these agree; a server that sends neither validator can
 * only be checked by size.
 */
export interface RemoteFileVersion {
  readonly size: number;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
}

/** A ByteSource over a URL that knows the version of the file it reads. */
export interface UrlSource extends ByteSource {
  readonly version: RemoteFileVersion;
}

/**
 * A ByteSource over a URL: each read is one HTTP Range request whose body is streamed into a buffer of the
 * read's size, so a model file is never held whole in memory. The server must answer ranges with 206 (RFC 9110
 * section 14); one that sends the whole file instead is refused rather than downloaded. Every answer must come
 * from the version of the file the first one described: a file replaced on the server between two reads is a
 * DOWNLOAD_FAILED error, never a mix of the two.
 */
export async function openUrlSource(url: string, opts: { readonly signal?: AbortSignal | undefined } = {}): Promise<UrlSource> {
  const version = await probeVersion(url, opts.signal);
  const source: UrlSource = {
    name: url,
    size: version.size,
    version,
    async read(offset, length) {
      checkRange(source, offset, length);
      if (length === 0) return new Uint8Array(0);
      const response = await rangeRequest(url, offset, offset + length - 1, opts.signal);
      const now = versionOf(url, response);
      if (!sameVersion(now, version)) {
        await response.body?.cancel();
        throw new GemmaError(
          "DOWNLOAD_FAILED",
          `${url}: the file changed on the server while it was read (at byte offset ${offset}: ${describeVersion(now)}, before: ${describeVersion(version)})`,
        );
      }
      return readBody(url, response, length, offset);
    },
    async close() {},
  };
  return source;
}

/** Whether two versions describe the same file: same size, and the same validators where the server sent them. */
export function sameVersion(a: RemoteFileVersion, b: RemoteFileVersion): boolean {
  return a.size === b.size && a.etag === b.etag && a.lastModified === b.lastModified;
}

export function describeVersion(v: RemoteFileVersion): string {
  return [`${v.size} bytes`, v.etag && `ETag ${v.etag}`, v.lastModified && `Last-Modified ${v.lastModified}`].filter(Boolean).join(", ");
}

/** The version from a one-byte range request. */
async function probeVersion(url: string, signal: AbortSignal | undefined): Promise<RemoteFileVersion> {
  const response = await rangeRequest(url, 0, 0, signal);
  await response.body?.cancel();
  return versionOf(url, response);
}

/** The total size (from Content-Range) and the validators of a range answer. */
function versionOf(url: string, response: Response): RemoteFileVersion {
  const total = /\/(\d+)\s*$/.exec(response.headers.get("Content-Range") ?? "")?.[1];
  if (total === undefined) throw new GemmaError("DOWNLOAD_FAILED", `${url}: the server's range answer has no total size in Content-Range`);
  return {
    size: Number(total),
    etag: response.headers.get("ETag") ?? undefined,
    lastModified: response.headers.get("Last-Modified") ?? undefined,
  };
}

async function rangeRequest(url: string, first: number, last: number, signal: AbortSignal | undefined): Promise<Response> {
  let response: Response;
  try {
    // past the HTTP cache: it could answer with a range of an older version, and the bytes go to the Cache API anyway
    response = await fetch(url, { headers: { Range: `bytes=${first}-${last}` }, signal, cache: "no-store" });
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
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new GemmaError("DOWNLOAD_FAILED", `${url}: the connection broke after ${filled} of the ${length} bytes at byte offset ${offset}: ${String(e)}`, { cause: e });
    }
    const { done, value } = step;
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
