/**
 * gemma-ts in a web page (the browser bundle's entry): the library API plus loading a model from a URL (range
 * requests, cached in the Cache API, an interrupted download resuming) or a File, with the kernels on Web Workers
 * under cross-origin isolation; and the engine in a worker of its own, so that a page's main thread only renders.
 *
 * @example
 * const model = await loadModel("https://example.org/gemma-3-270m-it-Q4_K_M.gguf", { onProgress: show });
 * for await (const chunk of model.chat().send("Hello!")) append(chunk.text);
 *
 * @example
 * const engine = createEngineWorker();
 * const model = await engine.load("https://example.org/gemma-3-270m-it-Q4_K_M.gguf", { onProgress: show });
 * for await (const chunk of model.chat().send("Hello!")) append(chunk.text);
 */
export * from "../../api/index.js";
export { blobSource } from "./blob-source.js";
export { openUrlSource, type RemoteFileVersion, type UrlSource } from "./range-source.js";
export { MODEL_CACHE_NAME, cachedModel, canCacheModels, forgetCachedModel } from "./model-cache.js";
export { createBrowserKernelPool } from "./worker-pool.js";
export { closeModel, defaultThreads, loadModel, type BrowserLoadOptions, type BrowserLoadProgress } from "./load-model.js";
export {
  createEngineWorker,
  EngineWorker,
  RemoteChat,
  RemoteGeneration,
  RemoteModel,
  type EngineWorkerOptions,
  type RemoteGenerateOptions,
  type RemoteLoadCallOptions,
} from "./engine-client.js";
export { runEngineWorker, type EngineScope } from "./engine-host.js";
export type { RemoteChatOptions, RemoteGenerationOptions, RemoteLoadOptions, RemoteModelDescription } from "./engine-protocol.js";
