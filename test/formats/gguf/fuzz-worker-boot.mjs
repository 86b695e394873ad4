// Entry of the fuzz worker thread: Node 20 does not apply the parent's `--import tsx` hooks to a
// worker's entry module, so the worker registers tsx itself before loading the TypeScript.
import { register } from "tsx/esm/api";

register();
await import("./fuzz-worker.ts");
