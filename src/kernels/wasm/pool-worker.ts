import { instantiateKernels, type KernelExports } from "./bindings.js";
import { CTL_FAILED, CTL_GEN, CTL_READY, CTL_SLEEPERS, Job, OP_STOP, runChunks, type PoolWorkerInit } from "./pool-protocol.js";

/*
 * The loop of one KernelPool worker thread (browser-safe: a platform entry script receives the init
 * message and calls runPoolWorker). It does not return to its event loop until told to stop.
 */

/** Waits (polling `spin` times, then sleeping) for GEN to differ from `seen` and be even; returns it. */
function nextGeneration(ctl: Int32Array, seen: number, spin: number): number {
  for (let i = 0; i < spin; i++) {
    const g = Atomics.load(ctl, CTL_GEN);
    if (g !== seen && (g & 1) === 0) return g;
  }
  for (;;) {
    const g = Atomics.load(ctl, CTL_GEN);
    if (g !== seen && (g & 1) === 0) return g;
    Atomics.add(ctl, CTL_SLEEPERS, 1);
    Atomics.wait(ctl, CTL_GEN, g);
    Atomics.sub(ctl, CTL_SLEEPERS, 1);
  }
}

/** Instantiates the kernels on each shared memory and serves jobs until OP_STOP. */
export async function runPoolWorker(init: PoolWorkerInit): Promise<void> {
  const ctl = new Int32Array(init.control);
  let kernels: KernelExports[];
  try {
    kernels = await Promise.all(init.memories.map((memory) => instantiateKernels(init.module, memory)));
  } catch {
    Atomics.store(ctl, CTL_FAILED, 1);
    Atomics.add(ctl, CTL_READY, 1);
    return;
  }
  const job = new Job();
  let seen = Atomics.load(ctl, CTL_GEN);
  Atomics.add(ctl, CTL_READY, 1);
  for (;;) {
    seen = nextGeneration(ctl, seen, init.spin);
    job.load(ctl);
    // A new job began while the arguments were read: they may mix two jobs, read again.
    if (Atomics.load(ctl, CTL_GEN) !== seen) continue;
    if (job.op === OP_STOP) return;
    runChunks(ctl, job, kernels[job.arena]!);
  }
}
