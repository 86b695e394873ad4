import { createHash, type Hash } from "node:crypto";
import { mkdir, open, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { GemmaError } from "../../../util/errors.js";
import { hashFileInto } from "./file-hash.js";
import {
  describeNetworkError,
  httpGet,
  interrupted,
  MAX_ATTEMPTS,
  retryDelayMs,
  sleep,
  statusError,
  TransientError,
  type HttpOptions,
} from "./http.js";
import { withFileLock } from "./lock.js";
import type { ProgressListener } from "./progress.js";

export interface DownloadRequest {
  readonly url: string;
  /** Where the verified file ends up; bytes arrive in `<dest>.part` first. */
  readonly dest: string;
  /** Names the file in progress lines and errors. */
  readonly label: string;
  /** Expected size and sha256 when known in advance; otherwise the hub's x-linked-* headers are used. */
  readonly size?: number | undefined;
  readonly sha256?: string | undefined;
  readonly headers?: HttpOptions["headers"];
  readonly bearer?: HttpOptions["bearer"];
  /** The error for a refused request (hubs word 401/403 their own way); default statusError. */
  readonly httpError?: (response: Response, url: string) => GemmaError;
}

export interface DownloadContext {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ProgressListener | undefined;
}

export interface DownloadedFile {
  readonly path: string;
  readonly size: number;
  /** Known when the source published it or the file was downloaded now. */
  readonly sha256: string | undefined;
}

/** A transfer that delivers no byte for this long is dropped and resumed. */
const STALL_MS = 60_000;

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

// Content-Range values: `bytes START-END/TOTAL`, or `bytes */TOTAL` on a 416.
function parseContentRange(value: string | null): { start: number | undefined; total: number | undefined } {
  const m = value ? /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(value.trim()) : null;
  if (!m) return { start: undefined, total: undefined };
  return { start: m[1] === undefined ? undefined : Number(m[1]), total: m[2] === "*" ? undefined : Number(m[2]) };
}

/** The growing `.part` file and the running sha256 of what it holds. */
class PartFile {
  private hash: Hash = createHash("sha256");
  offset = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string, maxSize: number | undefined): Promise<PartFile> {
    const part = new PartFile(path, await open(path, "a"));
    const kept = (await sizeOf(path)) ?? 0;
    if (maxSize !== undefined && kept > maxSize) await part.restart();
    else if (kept > 0) {
      await hashFileInto(part.hash, path);
      part.offset = kept;
    }
    return part;
  }

  async append(chunk: Uint8Array): Promise<void> {
    await this.handle.write(chunk);
    this.hash.update(chunk);
    this.offset += chunk.length;
  }

  async restart(): Promise<void> {
    await this.handle.truncate(0);
    this.hash = createHash("sha256");
    this.offset = 0;
  }

  digest(): string {
    return this.hash.copy().digest("hex");
  }

  async finish(): Promise<void> {
    await this.handle.datasync();
    await this.handle.close();
  }

  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

type AttemptResult = { readonly total: number | undefined; readonly sha256: string | undefined };

/**
 * One request for the rest of the file. Returns when the body ended; throws TransientError when the
 * connection dropped or stalled (the caller resumes from `part.offset`).
 */
async function attempt(req: DownloadRequest, part: PartFile, ctx: DownloadContext): Promise<AttemptResult> {
  const stall = new AbortController();
  const onAbort = () => stall.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  let timer = setTimeout(() => stall.abort(), STALL_MS);
  const keepAlive = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), STALL_MS);
  };
  try {
    const headers = { ...req.headers, ...(part.offset > 0 ? { range: `bytes=${part.offset}-` } : {}) };
    const { response, url, linkedSize, linkedSha256 } = await httpGet(req.url, { headers, bearer: req.bearer, signal: stall.signal });
    const range = parseContentRange(response.headers.get("content-range"));
    const expectedSize = req.size ?? linkedSize;
    const result = (total: number | undefined): AttemptResult => ({ total: expectedSize ?? total, sha256: req.sha256 ?? linkedSha256 });
    if (response.status === 416) {
      await response.body?.cancel();
      // The range starts at or past the end: the part is complete if it has exactly the full size.
      const total = expectedSize ?? range.total;
      if (total !== undefined && part.offset === total) return result(total);
      const refused = part.offset;
      await part.restart();
      throw new TransientError(`${url}: the server refused to resume at byte ${refused}; restarting`);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw (req.httpError ?? ((r, u) => statusError(r, u, req.label)))(response, url);
    }
    if (response.status === 206 && range.start !== part.offset) {
      await response.body?.cancel();
      await part.restart();
      throw new TransientError(`${url}: the server resumed at byte ${range.start}, not ${part.offset}; restarting`);
    }
    if (response.status === 200 && part.offset > 0) await part.restart();
    const length = Number(response.headers.get("content-length") ?? NaN);
    const offered = response.status === 206 ? range.total : Number.isFinite(length) ? length : undefined;
    if (expectedSize !== undefined && offered !== undefined && offered !== expectedSize) {
      await response.body?.cancel();
      throw new GemmaError("DOWNLOAD_SIZE", `${req.label}: ${url} offers ${offered} bytes, expected ${expectedSize}`);
    }
    const total = expectedSize ?? offered;
    ctx.onProgress?.({ type: "advance", label: req.label, done: part.offset, total });
    if (!response.body) return result(total);
    const reader = response.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new TransientError(`${url}: connection lost at byte ${part.offset} (${describeNetworkError(e)})`, { cause: e });
      }
      if (chunk.done) break;
      keepAlive();
      await part.append(chunk.value);
      ctx.onProgress?.({ type: "advance", label: req.label, done: part.offset, total });
    }
    if (total !== undefined && part.offset < total) {
      throw new TransientError(`${url}: the body ended at byte ${part.offset} of ${total}`);
    }
    return result(total);
  } catch (e) {
    if (stall.signal.aborted && !ctx.signal?.aborted) {
      throw new TransientError(`${req.url}: no data for ${STALL_MS / 1000} s at byte ${part.offset}`, { cause: e });
    }
    throw e;
  } finally {
    clearTimeout(timer);
    ctx.signal?.removeEventListener("abort", onAbort);
  }
}

/** Repeats `attempt` until the body is complete, resuming after each drop. */
async function transfer(req: DownloadRequest, part: PartFile, ctx: DownloadContext): Promise<AttemptResult> {
  for (let failures = 0; ; ) {
    if (ctx.signal?.aborted) throw interrupted(req.label);
    const before = part.offset;
    try {
      return await attempt(req, part, ctx);
    } catch (e) {
      if (ctx.signal?.aborted) throw interrupted(req.label);
      if (!(e instanceof TransientError)) throw e;
      failures = part.offset > before ? 1 : failures + 1;
      if (failures >= MAX_ATTEMPTS) {
        throw new GemmaError("DOWNLOAD_FAILED", `${req.label}: ${e.message} (gave up after ${failures} tries without progress)`, { cause: e });
      }
      ctx.onProgress?.({ type: "note", message: `${req.label}: ${e.message}; retrying` });
      await sleep(retryDelayMs(failures), ctx.signal).catch(() => {
        throw interrupted(req.label);
      });
    }
  }
}

async function downloadLocked(req: DownloadRequest, ctx: DownloadContext): Promise<DownloadedFile> {
  const existing = await sizeOf(req.dest);
  if (existing !== undefined) {
    if (req.size === undefined || existing === req.size) return { path: req.dest, size: existing, sha256: req.sha256 };
    await unlink(req.dest);
  }
  ctx.onProgress?.({ type: "start", label: req.label, total: req.size });
  // A part kept from an earlier run may hold bytes of an older upload; if the checksum fails after
  // resuming from it, the download starts over once from byte 0.
  for (let fromScratch = false; ; fromScratch = true) {
    const part = await PartFile.open(`${req.dest}.part`, req.size);
    const resumed = part.offset > 0;
    let result: AttemptResult;
    try {
      result = await transfer(req, part, ctx);
    } catch (e) {
      if (e instanceof GemmaError && e.code === "DOWNLOAD_SIZE") await part.discard();
      else await part.finish().catch(() => undefined);
      throw e;
    }
    if (result.total !== undefined && part.offset !== result.total) {
      await part.discard();
      throw new GemmaError("DOWNLOAD_SIZE", `${req.label}: got ${part.offset} bytes, expected ${result.total}; the file was not kept`);
    }
    const actual = part.digest();
    if (result.sha256 !== undefined && actual !== result.sha256) {
      await part.discard();
      if (resumed && !fromScratch) {
        ctx.onProgress?.({ type: "note", message: `${req.label}: checksum mismatch after resuming; downloading again from the start` });
        continue;
      }
      throw new GemmaError(
        "DOWNLOAD_CHECKSUM",
        `${req.label}: sha256 mismatch: expected ${result.sha256}, got ${actual} (from ${req.url}); the file was not kept`,
      );
    }
    await part.finish();
    await rename(part.path, req.dest);
    ctx.onProgress?.({ type: "finish", label: req.label });
    return { path: req.dest, size: part.offset, sha256: actual };
  }
}

/**
 * Downloads `req.url` to `req.dest`: resumable (Range into `<dest>.part`, also across processes),
 * retried on dropped connections, checked against the expected size and sha256, then renamed into
 * place. A `<dest>.lock` keeps concurrent processes from writing the same part file.
 */
export async function downloadFile(req: DownloadRequest, ctx: DownloadContext): Promise<DownloadedFile> {
  await mkdir(dirname(req.dest), { recursive: true });
  const onWait = (holder: string) => ctx.onProgress?.({ type: "note", message: `${req.label}: waiting for ${holder}, which is downloading it` });
  return withFileLock(req.dest, { signal: ctx.signal, onWait }, () => downloadLocked(req, ctx));
}
