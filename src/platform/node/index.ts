/** Node entry point: everything of the core plus loading models by name, path or URL-like source. */
export * from "../../api/index.js";
export { loadModel, LOADING_WEIGHTS, type NodeLoadOptions } from "./load-model.js";
export { openModelFile, type OpenModelOptions } from "./model-file.js";
export { openFileSource } from "./file-source.js";
export type { Progress, ProgressListener } from "./sources/progress.js";
