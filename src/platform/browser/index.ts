/**
 * gemma-ts in a web page (the browser bundle's entry): the library API plus loading a model from a URL (range
 * requests, cached in the Cache API) or a File, with the kernels on Web Workers under cross-origin isolation.
 *
 * @example
 * const model = await loadModel("https://example.org/gemma-3-270m-it-Q4_K_M.gguf", { onProgress: show });
 * for await (const chunk of model.chat().send("Hello!")) append(chunk.text);
 */
export * from "../../api/index.js";
export { blobSource } from "./blob-source.js";
export { openUrlSource } from "./range-source.js";
export { MODEL_CACHE_NAME, cachedModel, canCacheModels, forgetCachedModel } from "./model-cache.js";
export { createBrowserKernelPool } from "./worker-pool.js";
export { closeModel, defaultThreads, loadModel, type BrowserLoadOptions, type BrowserLoadProgress } from "./load-model.js";
