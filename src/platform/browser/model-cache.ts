import { GemmaError } from "../../util/errors.js";
import { sameVersion, type RemoteFileVersion, type UrlSource } from "./range-source.js";

/*
 * Models in the Cache API, stored so that an interrupted download resumes: the file is kept in chunks, each one
 * cache entry, next to a manifest naming the version of the file (size, ETag, Last-Modified) the chunks are from.
 * Cache entries are written whole or not at all, so a chunk that is there is complete (its size is checked all
 * the same); a download cut off by a network error or a closed page leaves the chunks it finished, and the next
 * load fetches only the missing ones, after checking that the server still has the same version. A changed file
 * drops every chunk of the old one: chunks of two versions are never put together.
 *
 * Entries are keyed under a reserved host (RFC 2606 ".invalid"), never fetched:
 *   https://gemma-ts.invalid/manifest?url=<model URL>
 *   https://gemma-ts.invalid/chunk?url=<model URL>&index=<n>
 */

/** The Cache API bucket holding downloaded model files. */
export const MODEL_CACHE_NAME = "gemma-ts-models";

/** Bytes per chunk: at most this much is downloaded again after an interruption. */
const CHUNK_BYTES = 8 << 20;
const KEY_ORIGIN = "https://gemma-ts.invalid";
const MANIFEST_FORMAT = 1;

interface Manifest {
  readonly format: number;
  readonly url: string;
  readonly version: RemoteFileVersion;
  readonly chunkBytes: number;
}

const manifestKey = (url: string) => `${KEY_ORIGIN}/manifest?url=${encodeURIComponent(url)}`;
const chunkKey = (url: string, index: number) => `${KEY_ORIGIN}/chunk?url=${encodeURIComponent(url)}&index=${index}`;

/** Whether this page can cache models (the Cache API exists only in secure contexts: https or localhost). */
export function canCacheModels(): boolean {
  return typeof caches === "object";
}

/**
 * The whole cached copy of `url` (a Blob over the chunks, which stay on disk), or undefined when the cache holds
 * none or only part of it. It is not checked against the server (loadModel does that).
 */
export async function cachedModel(url: string): Promise<Blob | undefined> {
  if (!canCacheModels()) return undefined;
  const cache = await caches.open(MODEL_CACHE_NAME);
  const manifest = await readManifest(cache, url);
  if (!manifest) return undefined;
  const chunks = await storedChunks(cache, manifest);
  return chunks.every((c) => c !== undefined) ? new Blob(chunks) : undefined;
}

/** Removes the cached copy of `url`, whole or partial (or of every model without one); true when something was removed. */
export async function forgetCachedModel(url?: string): Promise<boolean> {
  if (!canCacheModels()) return false;
  if (url === undefined) return caches.delete(MODEL_CACHE_NAME);
  return dropEntries(await caches.open(MODEL_CACHE_NAME), url);
}

/** What openCachedModel gives: the file as a Blob, and how much of it came over the network this time. */
export interface CachedModel {
  readonly blob: Blob;
  readonly downloadedBytes: number;
}

export interface CacheDownload {
  /** The file read by ranges; undefined when the server could not be reached (the cached copy is then used as it is). */
  readonly remote: UrlSource | undefined;
  /** Called before the first chunk of a version not cached yet is downloaded (it may throw to refuse the file). */
  readonly beforeDownload: (remote: UrlSource) => Promise<void>;
  readonly onProgress: (loadedBytes: number, totalBytes: number) => void;
  /** Aborts the wait for another page's download of the same URL too. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The model at `url` from the cache, completing the cached copy first: chunks already stored for the version the
 * server has now are kept, the others downloaded (one at a time, each stored as soon as it arrives). Pages
 * loading the same URL at once take turns (Web Locks) so that each chunk is downloaded once.
 */
export async function openCachedModel(url: string, download: CacheDownload): Promise<CachedModel> {
  const run = () => completeCachedModel(url, download);
  return navigator.locks ? navigator.locks.request(`gemma-ts-model ${url}`, download.signal ? { signal: download.signal } : {}, run) : run();
}

async function completeCachedModel(url: string, { remote, beforeDownload, onProgress }: CacheDownload): Promise<CachedModel> {
  const cache = await caches.open(MODEL_CACHE_NAME);
  let manifest = await readManifest(cache, url);
  if (!remote) {
    const chunks = manifest ? await storedChunks(cache, manifest) : [];
    if (manifest && chunks.every((c) => c !== undefined)) return { blob: new Blob(chunks), downloadedBytes: 0 };
    throw new GemmaError("DOWNLOAD_FAILED", `${url}: the server cannot be reached and the browser cache holds no whole copy of the file`);
  }
  // a changed file: none of the old one's chunks may be used
  if (manifest && !sameVersion(manifest.version, remote.version)) manifest = undefined;
  if (!manifest) {
    await dropEntries(cache, url);
    await beforeDownload(remote);
    manifest = { format: MANIFEST_FORMAT, url, version: remote.version, chunkBytes: CHUNK_BYTES };
    await put(cache, manifestKey(url), new Response(JSON.stringify(manifest), { headers: { "Content-Type": "application/json" } }), url);
  }
  const chunks = await storedChunks(cache, manifest);
  const missing = chunks.flatMap((c, i) => (c ? [] : [i]));
  const size = manifest.version.size;
  let loaded = chunks.reduce((sum, c) => sum + (c?.size ?? 0), 0);
  let downloadedBytes = 0;
  if (missing.length > 0) onProgress(loaded, size);
  for (const i of missing) {
    const offset = i * manifest.chunkBytes;
    const length = chunkLength(manifest, i);
    // range reads fill a fresh (non-shared) ArrayBuffer
    const bytes = (await remote.read(offset, length)) as Uint8Array<ArrayBuffer>;
    await put(cache, chunkKey(url, i), new Response(bytes, { headers: { "Content-Type": "application/octet-stream", "Content-Length": String(length) } }), url);
    const stored = await storedChunk(cache, manifest, i);
    if (!stored) throw new GemmaError("IO_ERROR", `${url}: bytes ${offset}-${offset + length - 1} were cached but cannot be read back from the cache`);
    chunks[i] = stored;
    loaded += length;
    downloadedBytes += length;
    onProgress(loaded, size);
  }
  return { blob: new Blob(chunks as Blob[]), downloadedBytes };
}

async function readManifest(cache: Cache, url: string): Promise<Manifest | undefined> {
  const hit = await cache.match(manifestKey(url));
  if (!hit) return undefined;
  const m = (await hit.json().catch(() => undefined)) as Partial<Manifest> | undefined;
  const valid =
    m?.format === MANIFEST_FORMAT && m.url === url && Number.isSafeInteger(m.version?.size) && Number.isSafeInteger(m.chunkBytes) && m.chunkBytes! > 0;
  if (!valid) {
    await dropEntries(cache, url);
    return undefined;
  }
  return m as Manifest;
}

/** Each chunk of the manifest's file: its Blob when it is stored whole, undefined otherwise. */
async function storedChunks(cache: Cache, manifest: Manifest): Promise<(Blob | undefined)[]> {
  const count = Math.ceil(manifest.version.size / manifest.chunkBytes);
  return Promise.all(Array.from({ length: count }, (_, i) => storedChunk(cache, manifest, i)));
}

/** Chunk `index` when stored with its exact size; an entry of any other size is deleted. */
async function storedChunk(cache: Cache, manifest: Manifest, index: number): Promise<Blob | undefined> {
  const key = chunkKey(manifest.url, index);
  const hit = await cache.match(key);
  if (!hit) return undefined;
  const blob = await hit.blob();
  if (blob.size === chunkLength(manifest, index)) return blob;
  await cache.delete(key);
  return undefined;
}

function chunkLength(manifest: Manifest, index: number): number {
  return Math.min(manifest.chunkBytes, manifest.version.size - index * manifest.chunkBytes);
}

/**
 * Deletes the manifest and every chunk of `url` (whatever version they are from), and the whole-file entry under
 * the URL itself that earlier versions of this library wrote.
 */
async function dropEntries(cache: Cache, url: string): Promise<boolean> {
  const prefix = `${KEY_ORIGIN}/chunk?url=${encodeURIComponent(url)}&`;
  const keys = (await cache.keys()).map((r) => r.url).filter((k) => k.startsWith(prefix));
  const removed = await Promise.all([manifestKey(url), url, ...keys].map((k) => cache.delete(k)));
  return removed.some(Boolean);
}

async function put(cache: Cache, key: string, response: Response, url: string): Promise<void> {
  try {
    await cache.put(key, response);
  } catch (e) {
    const why = e instanceof DOMException && e.name === "QuotaExceededError" ? "the browser's storage quota is too small for it" : String(e);
    throw new GemmaError("IO_ERROR", `${url}: caching the model failed: ${why}`, { cause: e });
  }
}

