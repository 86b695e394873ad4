import { checkModelOptions, GemmaModel, type ModelOptions } from "../../api/model.js";
import { readGguf, type GgufFile, type GgufTensorInfo } from "../../formats/gguf/index.js";
import { supportsWasmSimd } from "../../kernels/wasm/index.js";
import { KernelPool } from "../../kernels/wasm/pool.js";
import { loadGgufModel, planGgufModel } from "../../model/load-gguf.js";
import type { Backend } from "../../model/model.js";
import { DEFAULT_ARENA_LIMITS } from "../../model/weight-placement.js";
import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";
import { blobSource } from "./blob-source.js";
import { canCacheModels, openCachedModel } from "./model-cache.js";
import { openUrlSource } from "./range-source.js";
import { createBrowserKernelPool } from "./worker-pool.js";

export interface BrowserLoadProgress {
  /** "download": the file going into the cache; "load": the weights going into WebAssembly memory. */
  readonly phase: "download" | "load";
  readonly loadedBytes: number;
  readonly totalBytes: number;
  /** During "load": whether the file came from the cache (no download this visit). */
  readonly fromCache?: boolean;
}

export interface BrowserLoadOptions extends ModelOptions {
  readonly onProgress?: (p: BrowserLoadProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * For a URL: keep the file in the Cache API and reuse it on the next visit, resuming an interrupted download
   * (model-cache.ts; default true where the Cache API exists). Without caching the weights are read by range
   * requests straight into memory.
   */
  readonly cache?: boolean;
  /** The kernel worker script (default: kernel-worker.js next to this module). */
  readonly workerUrl?: string | URL;
}

/** Threads this page can run kernels on: several only under cross-origin isolation (SharedArrayBuffer). */
export function defaultThreads(): number {
  if (!globalThis.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 4));
}

/**
 * Loads a GGUF model from a URL (read by HTTP range requests, cached for the next visit) or from a File/Blob
 * (a file picker), into the same GemmaModel as in Node. The kernels run on `threads` threads (Web Workers over
 * shared memory) when the page is cross-origin isolated, on the calling thread otherwise; `options.threads` of
 * the result says how many run. Called on a page's main thread, every pre-fill and token blocks the page:
 * createEngineWorker (engine-client.ts) runs this in a worker instead.
 */
export async function loadModel(urlOrFile: string | Blob, opts: BrowserLoadOptions = {}): Promise<GemmaModel> {
  checkModelOptions(opts);
  const { onProgress, signal, cache, workerUrl, ...modelOptions } = opts;
  const threads = globalThis.crossOriginIsolated ? (opts.threads ?? defaultThreads()) : 1;
  const { source, fromCache } = await openModelSource(urlOrFile, { onProgress, signal, cache });
  let file: GgufFile;
  try {
    file = await readGguf(source);
  } catch (e) {
    await source.close();
    throw e;
  }
  const started: KernelPool[] = [];
  try {
    const model = await loadGgufModel(file, {
      backend: browserBackend(threads, workerUrl, started),
      onProgress: (p) => onProgress?.({ phase: "load", ...p, fromCache }),
    });
    const pool = started[0];
    const gemma = new GemmaModel(model, { ...modelOptions, threads: pool?.threads ?? 1 });
    if (pool) poolOf.set(gemma, pool);
    return gemma;
  } catch (e) {
    await Promise.all(started.map((pool) => pool.close()));
    throw e;
  } finally {
    await file.close();
  }
}

/** The kernel worker pool of each model loaded with threads, for closeModel. */
const poolOf = new WeakMap<GemmaModel, KernelPool>();

/** Stops the model's kernel workers (the model then computes on the calling thread alone). */
export async function closeModel(model: GemmaModel): Promise<void> {
  await poolOf.get(model)?.close();
}

/**
 * The bytes of the model: a picked file as it is; a URL from the cache, completed first from the server (once the
 * header of a file not cached yet shows the engine can run it), or read by ranges where there is no cache.
 */
async function openModelSource(
  urlOrFile: string | Blob,
  opts: Pick<BrowserLoadOptions, "onProgress" | "signal" | "cache">,
): Promise<{ source: ByteSource; fromCache: boolean }> {
  if (typeof urlOrFile !== "string") {
    const name = urlOrFile instanceof File ? urlOrFile.name : "model.gguf";
    return { source: blobSource(urlOrFile, name), fromCache: false };
  }
  const url = new URL(urlOrFile, globalThis.location?.href).href;
  if (!((opts.cache ?? true) && canCacheModels())) return { source: await openUrlSource(url, { signal: opts.signal }), fromCache: false };
  const remote = await openUrlSource(url, { signal: opts.signal }).catch((e: unknown) => {
    // the server cannot be reached or fails: openCachedModel then uses a whole cached copy as it is, unchecked
    if (e instanceof GemmaError && e.code === "DOWNLOAD_FAILED") return undefined;
    throw e;
  });
  const { blob, downloadedBytes } = await openCachedModel(url, {
    remote,
    beforeDownload: async (remote) => checkLoadable(await readGguf(remote)),
    onProgress: (loadedBytes, totalBytes) => opts.onProgress?.({ phase: "download", loadedBytes, totalBytes }),
    signal: opts.signal,
  });
  return { source: blobSource(blob, url), fromCache: downloadedBytes === 0 };
}

/**
 * Refuses, from the header alone, a file the engine could not run: one whose largest tensor exceeds what one
 * WebAssembly memory holds of weights (model/weight-placement.ts), or that the engine cannot plan (architecture,
 * tensors, tokenizer): better than after a download of gigabytes.
 */
function checkLoadable(file: GgufFile): void {
  const largest = file.tensors.reduce<GgufTensorInfo | undefined>((max, t) => (max && max.byteSize >= t.byteSize ? max : t), undefined);
  if (largest && largest.byteSize > DEFAULT_ARENA_LIMITS.shard) {
    throw new GemmaError(
      "MODEL_BAD_CONFIG",
      `${file.name}: tensor ${largest.name} takes ${gib(largest.byteSize)} GiB, more than the ${gib(DEFAULT_ARENA_LIMITS.shard)} GiB ` +
        "of weights one WebAssembly memory holds; choose a smaller or more quantized model",
    );
  }
  planGgufModel(file);
}

/**
 * WebAssembly SIMD kernels on Web Workers (one pool serving every memory of the model, added to `started`), or on
 * this thread alone (no isolation, or one thread).
 */
function browserBackend(threads: number, workerUrl: string | URL | undefined, started: KernelPool[]): Backend {
  if (!supportsWasmSimd()) return "ref";
  if (threads <= 1) return "wasm";
  return {
    shared: true,
    create: async (memories) => {
      const pool = await createBrowserKernelPool(memories, threads, workerUrl);
      started.push(pool);
      return memories.map((_, i) => pool.forMemory(i));
    },
  };
}

const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2);
