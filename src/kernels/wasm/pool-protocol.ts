import type { KernelExports } from "./bindings.js";

/*
 * The shared control block of KernelPool (pool.ts) and its workers (pool-worker.ts): an Int32Array over a
 * SharedArrayBuffer.
 *
 * A job is a matmul whose row range is cut into chunks. The caller publishes the arguments under a
 * sequence lock (GEN odd while it writes them, even once they are complete), then every participant,
 * the caller included, claims chunks by compare-and-swap on NEXT and counts finished ones in DONE. Chunk
 * numbers grow from job to job (wrapping at 2^32), so a worker that wakes late can only claim chunks of
 * the job whose arguments it read, or none: a descheduled worker never holds the others up, and the
 * caller returns once DONE reaches the job's last chunk. Atomics on this block order the plain reads and
 * writes of the WebAssembly memory around them (weights and activations before a job, outputs after).
 */

// Slots are 4 bytes; the groups that different threads write sit on separate 64-byte cache lines, so
// that workers polling GEN do not steal the line that chunk claims and argument writes use.

/** Sequence number of the job arguments: odd while the caller writes them. Workers sleep on it. */
export const CTL_GEN = 0;
/** Workers that have instantiated the kernels and entered their loop (or failed to). */
export const CTL_READY = 16;
/** Nonzero once a worker failed to start or threw on a chunk. */
export const CTL_FAILED = 17;
/** Workers blocked in Atomics.wait, so that the caller only notifies when someone sleeps. */
export const CTL_SLEEPERS = 18;
/** The next chunk number to claim. */
export const CTL_NEXT = 32;
/** Chunks finished, as a running count in the same numbering; the caller sleeps on it. */
export const CTL_DONE = 48;
/** Job arguments: the op (index into the kernels' matmuls, OP_ATTENTION or OP_STOP), the export's arguments, the chunking. */
export const CTL_OP = 64;
const CTL_W = 65;
const CTL_ROWS = 66;
const CTL_COLS = 67;
const CTL_ACT = 68;
const CTL_ACT_STRIDE = 69;
const CTL_NTOK = 70;
const CTL_OUT = 71;
const CTL_OUT_STRIDE = 72;
const CTL_ROW_BEGIN = 73;
const CTL_ROW_END = 74;
const CTL_CHUNK_ROWS = 75;
const CTL_FIRST = 76;
const CTL_END = 77;
/** Which of the pool's memories (and kernel instances) the job runs on. */
const CTL_ARENA = 78;
export const CTL_SLOTS = 80;

export const OP_STOP = -1;
/** Attention by query head (attention-task.ts): w is the argument block, rows [rowBegin, rowEnd) are heads. */
export const OP_ATTENTION = -2;
/** The tanh GeGLU (ElementwiseExports.gegluTanh): w is the gate, act the up address, rows [rowBegin, rowEnd) are floats. */
export const OP_GEGLU = -3;

/** What a worker receives (by postMessage) to start. */
export interface PoolWorkerInit {
  /** The compiled kernels for a shared memory. */
  readonly module: WebAssembly.Module;
  /** The shared memories a job may run on; the worker instantiates the kernels once on each. */
  readonly memories: readonly WebAssembly.Memory[];
  readonly control: SharedArrayBuffer;
  /** Atomics.load polls of GEN before sleeping in Atomics.wait. */
  readonly spin: number;
}

/** One participant's copy of a job's arguments (reused from job to job: dispatch allocates nothing). */
export class Job {
  op = 0;
  w = 0;
  rows = 0;
  cols = 0;
  act = 0;
  actStride = 0;
  nTok = 0;
  out = 0;
  outStride = 0;
  rowBegin = 0;
  rowEnd = 0;
  chunkRows = 0;
  /** First chunk number of the job, and one past its last (wrapping 32-bit counters). */
  first = 0;
  end = 0;
  /** Index of the memory (and kernel instance) it runs on. */
  arena = 0;

  /** Writes the arguments into the control block (the caller, between the two GEN bumps). */
  store(ctl: Int32Array): void {
    Atomics.store(ctl, CTL_OP, this.op);
    Atomics.store(ctl, CTL_W, this.w);
    Atomics.store(ctl, CTL_ROWS, this.rows);
    Atomics.store(ctl, CTL_COLS, this.cols);
    Atomics.store(ctl, CTL_ACT, this.act);
    Atomics.store(ctl, CTL_ACT_STRIDE, this.actStride);
    Atomics.store(ctl, CTL_NTOK, this.nTok);
    Atomics.store(ctl, CTL_OUT, this.out);
    Atomics.store(ctl, CTL_OUT_STRIDE, this.outStride);
    Atomics.store(ctl, CTL_ROW_BEGIN, this.rowBegin);
    Atomics.store(ctl, CTL_ROW_END, this.rowEnd);
    Atomics.store(ctl, CTL_CHUNK_ROWS, this.chunkRows);
    Atomics.store(ctl, CTL_FIRST, this.first);
    Atomics.store(ctl, CTL_END, this.end);
    Atomics.store(ctl, CTL_ARENA, this.arena);
  }

  /** Reads the arguments (a worker; valid only if GEN did not change meanwhile). Addresses are unsigned. */
  load(ctl: Int32Array): void {
    this.op = Atomics.load(ctl, CTL_OP);
    this.w = Atomics.load(ctl, CTL_W) >>> 0;
    this.rows = Atomics.load(ctl, CTL_ROWS);
    this.cols = Atomics.load(ctl, CTL_COLS);
    this.act = Atomics.load(ctl, CTL_ACT) >>> 0;
    this.actStride = Atomics.load(ctl, CTL_ACT_STRIDE);
    this.nTok = Atomics.load(ctl, CTL_NTOK);
    this.out = Atomics.load(ctl, CTL_OUT) >>> 0;
    this.outStride = Atomics.load(ctl, CTL_OUT_STRIDE);
    this.rowBegin = Atomics.load(ctl, CTL_ROW_BEGIN);
    this.rowEnd = Atomics.load(ctl, CTL_ROW_END);
    this.chunkRows = Atomics.load(ctl, CTL_CHUNK_ROWS);
    this.first = Atomics.load(ctl, CTL_FIRST);
    this.end = Atomics.load(ctl, CTL_END);
    this.arena = Atomics.load(ctl, CTL_ARENA);
  }
}

/**
 * Claims and computes chunks of `job` until none is left. The participant that finishes the job's last
 * chunk wakes the caller. A chunk that throws is still counted (FAILED tells the caller).
 */
export function runChunks(ctl: Int32Array, job: Job, kernels: KernelExports): void {
  const kernel = job.op < 0 ? undefined : kernels.matmuls[job.op]!;
  for (;;) {
    const c = Atomics.load(ctl, CTL_NEXT);
    if (((c - job.end) | 0) >= 0) return;
    if (Atomics.compareExchange(ctl, CTL_NEXT, c, (c + 1) | 0) !== c) continue;
    const r0 = job.rowBegin + ((c - job.first) | 0) * job.chunkRows;
    const r1 = Math.min(job.rowEnd, r0 + job.chunkRows);
    try {
      if (kernel) kernel(job.w, job.rows, job.cols, job.act, job.actStride, job.nTok, job.out, job.outStride, r0, r1);
      else if (job.op === OP_GEGLU) kernels.elementwise.gegluTanh(job.w + 4 * r0, job.act + 4 * r0, r1 - r0);
      else for (let h = r0; h < r1; h++) kernels.attentionHead(job.w, h);
    } catch {
      Atomics.store(ctl, CTL_FAILED, 1);
    }
    if (((Atomics.add(ctl, CTL_DONE, 1) + 1 - job.end) | 0) === 0) Atomics.notify(ctl, CTL_DONE);
  }
}
