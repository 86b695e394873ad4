// Entry script of a kernel pool Web Worker (see worker-pool.ts): runs the pool loop on the first message.
import { runPoolWorker } from "../../kernels/wasm/pool-worker.js";
import type { PoolWorkerInit } from "../../kernels/wasm/pool-protocol.js";

self.addEventListener("message", (event: MessageEvent<PoolWorkerInit>) => void runPoolWorker(event.data), { once: true });
