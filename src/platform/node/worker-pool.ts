import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { KernelPool, type KernelPoolOptions } from "../../kernels/wasm/pool.js";

/** A worker thread running kernel-worker (the .js next to this module, or the .ts when run from source). */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new Worker(new URL("./kernel-worker.js", here));
  // Run from TypeScript sources (tests, tsx): Node 20 workers do not inherit tsx's loader hooks, so the
  // worker registers them before importing its entry.
  const entry = JSON.stringify(new URL("./kernel-worker.ts", here).href);
  return new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${entry}); })`, { eval: true });
}

/**
 * A KernelPool on Node's worker_threads: `threads` threads in all (default: every core), the calling
 * thread being one of them. `memory` (or each of several) must be shared (Arena({ shared: true })).
 */
export function createNodeKernelPool(
  memory: WebAssembly.Memory | readonly WebAssembly.Memory[],
  threads = availableParallelism(),
  options: Omit<KernelPoolOptions, "workers"> = {},
): Promise<KernelPool> {
  return KernelPool.create(
    memory,
    (_index, onFailure) => {
      const worker = startWorker();
      worker.on("error", onFailure);
      // Idle workers sleep in Atomics.wait; they must not keep the process alive.
      worker.unref();
      return worker;
    },
    { ...options, workers: Math.max(0, Math.floor(threads) - 1), callerCanBlock: true },
  );
}
