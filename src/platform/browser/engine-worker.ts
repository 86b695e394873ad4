// Entry script of the engine Web Worker (see engine-host.ts). It imports the library's entry, which the browser
// bundle maps to gemma.js, so that the worker shares the page's copy of the library rather than a second one.
import { runEngineWorker } from "./index.js";

runEngineWorker();
