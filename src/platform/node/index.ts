/** Node entry point: everything of the core plus loading models by name, path or URL-like source. */
export * from "../../api/index.js";
export { loadModel, openModelFile } from "./model-file.js";
export { openFileSource } from "./file-source.js";
