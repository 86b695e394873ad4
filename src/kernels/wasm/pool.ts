import { typeName } from "../../quant/types.js";
import { GemmaError } from "../../util/errors.js";
import { instantiateKernels, moduleFor, type KernelExports } from "./bindings.js";
import { checkMatmul } from "./checks.js";
import { kernelsOver, matmulOp, type WasmKernels } from "./index.js";
import { isSharedMemory } from "./module.js";
import {
  CTL_DONE, CTL_FAILED, CTL_GEN, CTL_NEXT, CTL_READY, CTL_SLEEPERS, CTL_SLOTS, Job, OP_STOP, runChunks, type PoolWorkerInit,
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Multi-threaded WebAssembly kernels over one shared WebAssembly.Memory: each matmul's rows are cut into
 * chunks that the calling thread and the workers claim (pool-protocol.ts), each row computed by the same
 * kernel code, so results equal the single-threaded kernels' exactly. Dispatch allocates nothing:
 * arguments go through a shared control block; workers spin briefly and then sleep on it (Atomics.wait).
 */
export class KernelPool implements WasmKernels {
  readonly memory: WebAssembly.Memory;
  /** Threads computing each large job: the workers plus the caller. */
  readonly threads: number;
  private readonly local: WasmKernels;
  private readonly exports: KernelExports;
  private readonly ctl: Int32Array;
  private readonly job = new Job();
  private readonly workers: PoolWorker[];
  private readonly spin: number;
  private readonly callerCanBlock: boolean;
  private readonly minWork: number;
  private readonly chunks: number;
  private failure: unknown = undefined;
  private closed = false;

  private constructor(memory: WebAssembly.Memory, exports: KernelExports, control: SharedArrayBuffer, workers: PoolWorker[], options: KernelPoolOptions) {
    this.memory = memory;
    this.exports = exports;
    this.local = kernelsOver(memory, exports);
    this.ctl = new Int32Array(control);
    this.workers = workers;
    this.threads = options.workers + 1;
    this.spin = options.spin ?? 100_000;
    this.callerCanBlock = options.callerCanBlock ?? true;
    this.minWork = options.minWorkPerThread ?? 32_768;
    this.chunks = this.threads * (options.chunksPerThread ?? 4);
  }

  /** Starts the workers on `memory`, which must be shared (Arena({ shared: true })). */
  static async create(memory: WebAssembly.Memory, factory: PoolWorkerFactory, options: KernelPoolOptions): Promise<KernelPool> {
    if (!isSharedMemory(memory)) {
      throw new GemmaError("MODEL_BAD_CONFIG", "a kernel thread pool needs a shared WebAssembly.Memory (an Arena created with shared: true)");
    }
    if (!Number.isInteger(options.workers) || options.workers < 0) {
      throw new GemmaError("MODEL_BAD_CONFIG", `a kernel thread pool cannot have ${options.workers} workers`);
    }
    const module = await moduleFor(memory);
    const exports = await instantiateKernels(module, memory);
    const control = new SharedArrayBuffer(CTL_SLOTS * 4);
    const workers: PoolWorker[] = [];
    const pool = new KernelPool(memory, exports, control, workers, options);
    try {
      for (let i = 0; i < options.workers; i++) {
        const worker = factory(i, (error) => {
          pool.failure ??= error;
        });
        workers.push(worker);
        const init: PoolWorkerInit = { module, memory, control, spin: pool.spin };
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

  supports(weightType: number): boolean {
    return this.local.supports(weightType);
  }

  quantizeActivations(actType: number, xPtr: number, n: number, outPtr: number): void {
    this.local.quantizeActivations(actType, xPtr, n, outPtr);
  }

  matmul(type: number, wPtr: number, rows: number, cols: number, actPtr: number, nTok: number, outPtr: number, rowBegin = 0, rowEnd = rows): void {
    const op = matmulOp(type);
    const actStride = checkMatmul(this.memory.buffer.byteLength, type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin, rowEnd);
    const kernel = this.exports.matmuls[op]!;
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
    // Chunks of whole 4-row tiles, at least 32 rows (each chunk costs a few atomic operations).
    job.chunkRows = Math.max(32, (Math.ceil(n / this.chunks) + 3) & ~3);
    job.first = Atomics.load(ctl, CTL_NEXT);
    job.end = (job.first + Math.ceil(n / job.chunkRows)) | 0;
    this.publish();
    runChunks(ctl, job, this.exports);
    this.awaitDone(job.end);
    if (Atomics.load(ctl, CTL_FAILED) !== 0) {
      throw new GemmaError("MODEL_BAD_CONFIG", `a kernel worker thread failed on a ${typeName(type)} matmul`);
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
