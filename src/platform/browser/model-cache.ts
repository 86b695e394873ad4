import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";

/** The Cache API bucket holding downloaded model files, keyed by their URL. */
export const MODEL_CACHE_NAME = "gemma-ts-models";

/** Bytes per range request while downloading into the cache. */
const DOWNLOAD_CHUNK_BYTES = 16 << 20;

/** Whether this page can cache models (the Cache API exists only in secure contexts: https or localhost). */
export function canCacheModels(): boolean {
  return typeof caches === "object";
}

/** The cached copy of `url` (a disk-backed Blob), or undefined. A copy of the wrong size is dropped. */
export async function cachedModel(url: string): Promise<Blob | undefined> {
  if (!canCacheModels()) return undefined;
  const cache = await caches.open(MODEL_CACHE_NAME);
  const hit = await cache.match(url);
  if (!hit) return undefined;
  const blob = await hit.blob();
  const expected = Number(hit.headers.get("Content-Length") ?? blob.size);
  if (blob.size !== expected) {
    await cache.delete(url);
    return undefined;
  }
  return blob;
}

/** Removes the cached copy of `url` (or of every model without one); true when something was removed. */
export async function forgetCachedModel(url?: string): Promise<boolean> {
  if (!canCacheModels()) return false;
  if (url === undefined) return caches.delete(MODEL_CACHE_NAME);
  return (await caches.open(MODEL_CACHE_NAME)).delete(url);
}

/**
 * Copies `source` (a URL read by ranges) into the cache chunk by chunk, as a streamed response body: the
 * browser writes it to disk as it comes, so the file is never whole in memory. Returns the cached Blob.
 */
export async function downloadToCache(
  url: string,
  source: ByteSource,
  onProgress: (loadedBytes: number, totalBytes: number) => void,
): Promise<Blob> {
  const cache = await caches.open(MODEL_CACHE_NAME);
  let offset = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= source.size) {
        controller.close();
        return;
      }
      const n = Math.min(DOWNLOAD_CHUNK_BYTES, source.size - offset);
      controller.enqueue(await source.read(offset, n));
      offset += n;
      onProgress(offset, source.size);
    },
  });
  const headers = { "Content-Type": "application/octet-stream", "Content-Length": String(source.size) };
  try {
    await cache.put(url, new Response(body, { headers }));
  } catch (e) {
    if (e instanceof GemmaError || (e instanceof DOMException && e.name === "AbortError")) throw e;
    const why = e instanceof DOMException && e.name === "QuotaExceededError" ? "the browser's storage quota is too small for it" : String(e);
    throw new GemmaError("IO_ERROR", `${url}: caching the ${source.size}-byte model failed: ${why}`, { cause: e });
  }
  const blob = await cachedModel(url);
  if (!blob) throw new GemmaError("IO_ERROR", `${url}: the model was cached but cannot be read back from the cache`);
  return blob;
}
