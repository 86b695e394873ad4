import { GemmaError } from "../../../util/errors.js";

/** A failure worth retrying: a dropped or refused connection, a stalled body, HTTP 5xx or 429. */
export class TransientError extends Error {
  override readonly name = "TransientError";
}

export interface HttpOptions {
  readonly headers?: Readonly<Record<string, string>>;
  /** A bearer token, sent only to `origin`: a CDN that a hub redirects to must not see it. */
  readonly bearer?: { readonly token: string; readonly origin: string };
  readonly signal?: AbortSignal;
}

export interface HttpResult {
  /** The final response (never a redirect); its status is for the caller to judge. */
  readonly response: Response;
  readonly url: string;
  /**
   * Size and sha256 of a Git LFS file, from the `x-linked-size` / `x-linked-etag` headers that the
   * Hugging Face hub puts on its `/resolve/` redirect (the CDN's own etag is not the sha256), or
   * from a sha256 etag on the first response.
   */
  readonly linkedSize: number | undefined;
  readonly linkedSha256: string | undefined;
}

const MAX_REDIRECTS = 10;

/** An etag holding a sha256 (`"<64 hex>"`, possibly weak `W/`), lowercased; undefined otherwise. */
export function sha256FromEtag(etag: string | null | undefined): string | undefined {
  const m = etag ? /^(?:W\/)?"?([0-9a-fA-F]{64})"?$/.exec(etag.trim()) : null;
  return m ? m[1]!.toLowerCase() : undefined;
}

function sizeHeader(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/** The user's Ctrl-C (or an API caller's abort) ends a transfer with this error. */
export function interrupted(what: string): GemmaError {
  return new GemmaError("DOWNLOAD_FAILED", `${what}: interrupted`);
}

/**
 * GET `url`, following redirects one hop at a time so that the headers of each hop can be read and
 * the bearer token stays with its origin. `accept-encoding: identity` keeps byte counts and Range
 * offsets about the stored file, not a compressed transfer.
 */
export async function httpGet(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  let current = url;
  let linkedSize: number | undefined;
  let linkedSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity", ...opts.headers };
    if (opts.bearer && new URL(current).origin === opts.bearer.origin) {
      headers.authorization = `Bearer ${opts.bearer.token}`;
    }
    let response: Response;
    try {
      response = await fetch(current, { headers, redirect: "manual", signal: opts.signal ?? null });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      throw new TransientError(`${current}: ${describeNetworkError(e)}`, { cause: e });
    }
    linkedSize ??= sizeHeader(response.headers.get("x-linked-size"));
    // The first hop is the hub itself: a 64-hex etag there is the file's sha256 (mirrors that serve
    // LFS files directly send it as a plain etag; git files have 40-hex sha1 etags, not used).
    linkedSha256 ??= sha256FromEtag(response.headers.get("x-linked-etag")) ?? (hop === 0 ? sha256FromEtag(response.headers.get("etag")) : undefined);
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel();
      throw new TransientError(`${current}: HTTP ${response.status} ${response.statusText}`);
    }
    return { response, url: current, linkedSize, linkedSha256 };
  }
  throw new GemmaError("DOWNLOAD_FAILED", `${url}: more than ${MAX_REDIRECTS} redirects`);
}

export function describeNetworkError(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const detail = err.cause?.code ?? err.cause?.message;
  return detail ? `${err.message} (${detail})` : String(err.message ?? e);
}

/** The error for a final response that is not a success; `what` names the thing requested. */
export function statusError(response: Response, url: string, what: string): GemmaError {
  const status = `HTTP ${response.status} ${response.statusText}`.trim();
  if (response.status === 401 || response.status === 403) {
    return new GemmaError("DOWNLOAD_UNAUTHORIZED", `${what}: access denied (${status} from ${url})`);
  }
  if (response.status === 404) return new GemmaError("SOURCE_NOT_FOUND", `${what}: not found (${status} from ${url})`);
  return new GemmaError("DOWNLOAD_FAILED", `${what}: ${status} from ${url}`);
}

/** Pause before retry `attempt` (1-based): 0.25 s doubling, at most 8 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(8000, 250 * 2 ** (attempt - 1));
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const MAX_ATTEMPTS = 6;

/** GET and parse JSON, retrying transient failures; `httpError` words a refusal (default statusError). */
export async function getJson(
  url: string,
  what: string,
  opts: HttpOptions = {},
  httpError: (response: Response, url: string) => GemmaError = (r, u) => statusError(r, u, what),
): Promise<{ json: unknown; response: Response }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const { response, url: finalUrl } = await httpGet(url, { ...opts, headers: { accept: "application/json", ...opts.headers } });
      if (!response.ok) {
        await response.body?.cancel();
        throw httpError(response, finalUrl);
      }
      const text = await response.text().catch((e: unknown) => {
        throw new TransientError(`${finalUrl}: ${describeNetworkError(e)}`, { cause: e });
      });
      try {
        return { json: JSON.parse(text), response };
      } catch {
        throw new GemmaError("DOWNLOAD_FAILED", `${what}: ${finalUrl} did not answer with JSON (got ${JSON.stringify(text.slice(0, 80))})`);
      }
    } catch (e) {
      if (opts.signal?.aborted) throw interrupted(what);
      if (!(e instanceof TransientError)) throw e;
      if (attempt >= MAX_ATTEMPTS) throw new GemmaError("DOWNLOAD_FAILED", `${what}: ${e.message} (gave up after ${attempt} tries)`, { cause: e });
      await sleep(retryDelayMs(attempt), opts.signal).catch(() => {
        throw interrupted(what);
      });
    }
  }
}
