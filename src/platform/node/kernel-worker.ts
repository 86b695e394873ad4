// Entry script of a kernel pool worker thread (see worker-pool.ts): runs the pool loop on the first message.
import { parentPort } from "node:worker_threads";
import { runPoolWorker } from "../../kernels/wasm/pool-worker.js";
import type { PoolWorkerInit } from "../../kernels/wasm/pool-protocol.js";

parentPort!.once("message", (init: PoolWorkerInit) => {
  void runPoolWorker(init);
});
