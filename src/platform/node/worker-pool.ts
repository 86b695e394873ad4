import { availableParallelism } from "node:os";
import { KernelPool, type KernelPoolOptions } from "../../kernels/wasm/pool.js";
import { startModuleWorker } from "./module-worker.js";

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
      const worker = startModuleWorker(import.meta.url, "kernel-worker");
      worker.on("error", onFailure);
      // Idle workers sleep in Atomics.wait; they must not keep the process alive.
      worker.unref();
      return worker;
    },
    { ...options, workers: Math.max(0, Math.floor(threads) - 1), callerCanBlock: true },
  );
}
