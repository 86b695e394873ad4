import { typeName } from "../../quant/types.js";
import { GemmaError } from "../../util/errors.js";
import { instantiateKernels, moduleFor, type ElementwiseExports, type KernelExports } from "./bindings.js";
import { checkMatmul } from "./checks.js";
import { kernelsOver, matmulOp, type WasmKernels } from "./index.js";
import { isSharedMemory } from "./module.js";
import {
  CTL_DONE, CTL_FAILED, CTL_GEN, CTL_NEXT, CTL_READY, CTL_SLEEPERS, CTL_SLOTS, Job, OP_ATTENTION, OP_GEGLU, OP_STOP, runChunks, type PoolWorkerInit,
} from "./pool-protocol.js";

/** A started worker thread, as the platform made it (a Web Worker or a Node worker_threads Worker). */
export interface PoolWorker {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

/**
 * Starts worker number `index` (0-based). The worker must run runPoolWorker (pool-worker.ts) on the first
 * message it receives, and should call `onFailure` if it dies.
 */
export type PoolWorkerFactory = (index: number, onFailure: (error: unknown) => void) => PoolWorker;

export interface KernelPoolOptions {
  /** Worker threads besides the calling one (which computes a share of every job too). */
  readonly workers: number;
  /** Polls of the control block before a worker or the caller sleeps (default 100000, roughly 0.1 ms). */
  readonly spin?: number;
  /** Whether the calling thread may block in Atomics.wait (not a browser's main thread; default true). */
  readonly callerCanBlock?: boolean;
  /** A job with fewer multiply-adds than this per thread runs on the caller alone (default 32768). */
  readonly minWorkPerThread?: number;
  /** Chunks per thread that a job's rows are cut into, for the threads to claim (default 4). */
  readonly chunksPerThread?: number;
  /** How long the workers may take to start (default 30 s). */
  readonly startTimeoutMs?: number;
}

/** Multiply-adds per chunk of a matrix-matrix product (about a third of a millisecond of one thread's work). */
const CHUNK_MACS = 1 << 22;

/** Floats of a GeGLU below which a thread's share is too short to hand out (a decode step's 2048 stay on the caller). */
const GEGLU_MIN_PER_THREAD = 4096;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Multi-threaded WebAssembly kernels over one shared WebAssembly.Memory: each matmul's rows are cut into
 * chunks that the calling thread and the workers claim (pool-protocol.ts), each row computed by the same
 * kernel code, so results equal the single-threaded kernels' exactly. Dispatch allocates nothing:
 * arguments go through a shared control block; workers spin briefly and then sleep on it (Atomics.wait).
 *
 * A model larger than one memory has several (model/weight-placement.ts): the pool then serves them all with
 * the same threads, every thread holding one kernel instance per memory. The pool itself works on the first;
 * forMemory(i) gives the kernels of memory i.
 */
export class KernelPool implements WasmKernels {
  readonly memory: WebAssembly.Memory;
  /** Threads computing each large job: the workers plus the caller. */
  readonly threads: number;
  readonly elementwise: ElementwiseExports;
  private readonly local: WasmKernels;
  private readonly exports: KernelExports;
  private readonly memories: readonly WebAssembly.Memory[];
  /** Per memory: the calling thread's kernel instance, and the kernels forMemory returns. */
  private readonly instances: readonly KernelExports[];
  private readonly views: readonly WasmKernels[];
  private readonly ctl: Int32Array;
  private readonly job = new Job();
  private readonly workers: PoolWorker[];
  private readonly spin: number;
  private readonly callerCanBlock: boolean;
  private readonly minWork: number;
  private readonly chunks: number;
  private failure: unknown = undefined;
  private closed = false;

  private constructor(
    memories: readonly WebAssembly.Memory[], instances: readonly KernelExports[], control: SharedArrayBuffer, workers: PoolWorker[], options: KernelPoolOptions,
  ) {
    this.memories = memories;
    this.instances = instances;
    this.memory = memories[0]!;
    this.exports = instances[0]!;
    this.local = kernelsOver(this.memory, this.exports);
    this.elementwise = this.exports.elementwise;
    this.views = memories.map((memory, i) => {
      const local = i === 0 ? this.local : kernelsOver(memory, instances[i]!);
      return {
        memory,
        // attention reads the KV cache, which lives in the first memory: the others run it on this thread only
        attentionHeads: i === 0 ? (args: number, nHeads: number) => this.attentionHeads(args, nHeads) : (args: number, nHeads: number) => local.attentionHeads(args, nHeads),
        // the activations live in the first memory, as the KV cache does
        gegluTanh: i === 0 ? (gate: number, up: number, n: number) => this.gegluTanh(gate, up, n) : local.gegluTanh,
        supports: (type: number) => local.supports(type),
        elementwise: local.elementwise,
        quantizeActivations: (actType: number, xPtr: number, n: number, outPtr: number) => local.quantizeActivations(actType, xPtr, n, outPtr),
        matmul: (type: number, wPtr: number, rows: number, cols: number, actPtr: number, nTok: number, outPtr: number, rowBegin = 0, rowEnd = rows) =>
          this.matmulOn(i, type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin, rowEnd),
      };
    });
    this.ctl = new Int32Array(control);
    this.workers = workers;
    this.threads = options.workers + 1;
    this.spin = options.spin ?? 100_000;
    this.callerCanBlock = options.callerCanBlock ?? true;
    this.minWork = options.minWorkPerThread ?? 32_768;
    this.chunks = this.threads * (options.chunksPerThread ?? 4);
  }

  /** Starts the workers on `memory` (or each of several), which must be shared (Arena({ shared: true })). */
  static async create(
    memory: WebAssembly.Memory | readonly WebAssembly.Memory[], factory: PoolWorkerFactory, options: KernelPoolOptions,
  ): Promise<KernelPool> {
    const memories = memory instanceof WebAssembly.Memory ? [memory] : memory;
    if (memories.length === 0 || !memories.every(isSharedMemory)) {
      throw new GemmaError("MODEL_BAD_CONFIG", "a kernel thread pool needs a shared WebAssembly.Memory (an Arena created with shared: true)");
    }
    if (!Number.isInteger(options.workers) || options.workers < 0) {
      throw new GemmaError("MODEL_BAD_CONFIG", `a kernel thread pool cannot have ${options.workers} workers`);
    }
    const module = await moduleFor(memories[0]!);
    const instances = await Promise.all(memories.map((m) => instantiateKernels(module, m)));
    const control = new SharedArrayBuffer(CTL_SLOTS * 4);
    const workers: PoolWorker[] = [];
    const pool = new KernelPool(memories, instances, control, workers, options);
    try {
      for (let i = 0; i < options.workers; i++) {
        const worker = factory(i, (error) => {
          pool.failure ??= error;
        });
        workers.push(worker);
        const init: PoolWorkerInit = { module, memories, control, spin: pool.spin };
        worker.postMessage(init);
      }
      await pool.started(options.startTimeoutMs ?? 30_000);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private async started(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Atomics.load(this.ctl, CTL_READY) < this.workers.length) {
      if (this.failure !== undefined) {
        throw new GemmaError("MODEL_BAD_CONFIG", `a kernel worker thread failed to start: ${String(this.failure)}`, { cause: this.failure });
      }
      if (Date.now() > deadline) throw new GemmaError("MODEL_BAD_CONFIG", `the kernel worker threads did not start within ${timeoutMs} ms`);
      await sleep(1);
    }
    if (Atomics.load(this.ctl, CTL_FAILED) !== 0) throw new GemmaError("MODEL_BAD_CONFIG", "a kernel worker thread could not instantiate the WebAssembly kernels");
  }

  /** Heads of an attention job, one chunk each, claimed by the threads like a matmul's rows. */
  attentionHeads(args: number, nHeads: number): void {
    if (this.closed || this.workers.length === 0 || nHeads < 2) {
      for (let h = 0; h < nHeads; h++) this.exports.attentionHead(args, h);
      return;
    }
    const { ctl, job } = this;
    job.op = OP_ATTENTION;
    job.w = args;
    job.rows = nHeads;
    job.rowBegin = 0;
    job.rowEnd = nHeads;
    job.chunkRows = 1;
    job.arena = 0;
    job.first = Atomics.load(ctl, CTL_NEXT);
    job.end = (job.first + nHeads) | 0;
    this.run(this.exports, "attention");
  }

  /** The tanh GeGLU over n floats, cut into chunks that the threads claim (each float's result is the same on any thread). */
  gegluTanh(gate: number, up: number, n: number): void {
    if (this.closed || this.workers.length === 0 || n < GEGLU_MIN_PER_THREAD * this.threads) {
      this.exports.elementwise.gegluTanh(gate, up, n);
      return;
    }
    const { ctl, job } = this;
    job.op = OP_GEGLU;
    job.w = gate;
    job.act = up;
    job.rows = n;
    job.rowBegin = 0;
    job.rowEnd = n;
    job.chunkRows = Math.max(GEGLU_MIN_PER_THREAD, (Math.ceil(n / (4 * this.chunks)) + 3) & ~3);
    job.arena = 0;
    job.first = Atomics.load(ctl, CTL_NEXT);
    job.end = (job.first + Math.ceil(n / job.chunkRows)) | 0;
    this.run(this.exports, "the GeGLU");
  }

  supports(weightType: number): boolean {
    return this.local.supports(weightType);
  }

  quantizeActivations(actType: number, xPtr: number, n: number, outPtr: number): void {
    this.local.quantizeActivations(actType, xPtr, n, outPtr);
  }

  /** The kernels of the pool's memory `index` (0: the pool's own), computed by the same threads. */
  forMemory(index: number): WasmKernels {
    const view = this.views[index];
    if (!view) throw new GemmaError("MODEL_BAD_CONFIG", `the kernel thread pool has ${this.views.length} memories, not ${index + 1}`);
    return view;
  }

  matmul(type: number, wPtr: number, rows: number, cols: number, actPtr: number, nTok: number, outPtr: number, rowBegin = 0, rowEnd = rows): void {
    this.matmulOn(0, type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin, rowEnd);
  }

  private matmulOn(
    arena: number, type: number, wPtr: number, rows: number, cols: number, actPtr: number, nTok: number, outPtr: number, rowBegin: number, rowEnd: number,
  ): void {
    const op = matmulOp(type);
    const instance = this.instances[arena]!;
    const actStride = checkMatmul(this.memories[arena]!.buffer.byteLength, type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin, rowEnd);
    const kernel = instance.matmuls[op]!;
    const work = (rowEnd - rowBegin) * cols * nTok;
    if (this.closed || this.workers.length === 0 || work < this.minWork * this.threads) {
      kernel(wPtr, rows, cols, actPtr, actStride, nTok, outPtr, rows, rowBegin, rowEnd);
      return;
    }
    const { ctl, job } = this;
    const n = rowEnd - rowBegin;
    job.op = op;
    job.w = wPtr;
    job.rows = rows;
    job.cols = cols;
    job.act = actPtr;
    job.actStride = actStride;
    job.nTok = nTok;
    job.out = outPtr;
    job.outStride = rows;
    job.rowBegin = rowBegin;
    job.rowEnd = rowEnd;
    job.arena = arena;
    // Chunks of whole 4-row tiles, at least 32 rows (each chunk costs a few atomic operations). A product of many
    // tokens is cut finer, into chunks of about CHUNK_MACS: a thread that finishes early then waits for at most one
    // short chunk, where a few long ones left it idle for milliseconds at the end of each prefill product.
    const even = Math.ceil(n / this.chunks);
    const byWork = nTok > 1 ? Math.ceil(CHUNK_MACS / (cols * nTok)) : even;
    job.chunkRows = Math.max(32, (Math.min(even, byWork) + 3) & ~3);
    job.first = Atomics.load(ctl, CTL_NEXT);
    job.end = (job.first + Math.ceil(n / job.chunkRows)) | 0;
    this.run(instance, type);
  }

  /**
   * Publishes this.job, computes chunks of it with the workers and waits for the last. `what` names the job if a
   * worker failed: a matmul's weight type, or words.
   */
  private run(instance: KernelExports, what: number | string): void {
    this.publish();
    runChunks(this.ctl, this.job, instance);
    this.awaitDone(this.job.end);
    if (Atomics.load(this.ctl, CTL_FAILED) !== 0) {
      throw new GemmaError("MODEL_BAD_CONFIG", `a kernel worker thread failed on ${typeof what === "number" ? `a ${typeName(what)} matmul` : what}`);
    }
  }

  /** Publishes this.job under the sequence lock and wakes sleeping workers. */
  private publish(): void {
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, CTL_GEN);
    Atomics.store(ctl, CTL_GEN, (gen + 1) | 0);
    this.job.store(ctl);
    Atomics.store(ctl, CTL_GEN, (gen + 2) | 0);
    if (Atomics.load(ctl, CTL_SLEEPERS) > 0) Atomics.notify(ctl, CTL_GEN);
  }

  /** Spins, then (where allowed) sleeps, until chunk `end` - 1 is finished. */
  private awaitDone(end: number): void {
    const ctl = this.ctl;
    for (let i = 0; i < this.spin; i++) if (((Atomics.load(ctl, CTL_DONE) - end) | 0) >= 0) return;
    for (;;) {
      const done = Atomics.load(ctl, CTL_DONE);
      if (((done - end) | 0) >= 0) return;
      if (this.callerCanBlock) Atomics.wait(ctl, CTL_DONE, done);
    }
  }

  /** Stops and terminates the workers; later calls run on the calling thread alone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.job.op = OP_STOP;
    this.job.first = this.job.end = Atomics.load(this.ctl, CTL_NEXT);
    this.publish();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
