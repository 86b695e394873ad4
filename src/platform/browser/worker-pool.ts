import { KernelPool } from "../../kernels/wasm/pool.js";

/**
 * A KernelPool on Web Workers: `threads` threads in all, the calling thread being one of them. `memory` (or each
 * of several) must be shared, which a page can only create when it is cross-origin isolated (COOP/COEP headers).
 * A page's main thread may not block in Atomics.wait, so there the caller spins until the workers finish a job;
 * in a worker (the engine worker, engine-worker.ts) it sleeps like the kernel workers do.
 *
 * `workerUrl` is the kernel-worker script (the bundle's kernel-worker.js next to the library by default).
 */
export function createBrowserKernelPool(
  memory: WebAssembly.Memory | readonly WebAssembly.Memory[],
  threads: number,
  workerUrl: string | URL = new URL("./kernel-worker.js", import.meta.url),
): Promise<KernelPool> {
  return KernelPool.create(
    memory,
    (_index, onFailure) => {
      const worker = new Worker(workerUrl, { type: "module", name: "gemma-kernels" });
      worker.addEventListener("error", (event) => onFailure(event.message || "the kernel worker script failed to load"));
      return worker;
    },
    { workers: Math.max(0, Math.floor(threads) - 1), callerCanBlock: !onWindowThread() },
  );
}

/** Whether this code runs on a page's main thread (which has a document; workers have none). */
function onWindowThread(): boolean {
  return typeof document !== "undefined";
}
