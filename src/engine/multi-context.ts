import type { Kernels } from "../kernels/kernels.js";
import type { Model } from "../model/model.js";
import { GemmaError } from "../util/errors.js";
import type { Activations } from "./activations.js";
import { BatchPlan, checkTokenIds } from "./batch.js";
import { forward } from "./forward.js";
import { allocKvCache, kvCacheBytes, ringRollback, type KvCacheOptions, type KvType, type LayerCache } from "./kv-cache.js";
import { allocStepBuffers } from "./step-buffers.js";
import { defaultContextSize } from "../model/config.js";

export interface MultiContextOptions {
  /** Sequences held at once, each with its own KV cache. */
  readonly sequences: number;
  /** Positions each sequence holds (default: the model's training length, at most 4096). */
  readonly contextSize?: number | undefined;
  /** Rows of one forward step, all sequences together (default 64). */
  readonly batchSize?: number | undefined;
  /** Full-length caches on sliding-window layers (see kv-cache.ts). */
  readonly swaFull?: boolean | undefined;
  /** Emulate ggml's f16-table GELU (tests against llama.cpp). */
  readonly fp16Gelu?: boolean | undefined;
  /** Element type of the KV caches (default f32). */
  readonly kvType?: KvType | undefined;
}

/**
 * Several sequences evaluated together: one KV cache per sequence (allocated once, each as a Context's), and forward
 * steps whose rows may come from any of them, each at its own position. A step is built with begin() and add(),
 * then run(): the matrix products run over every row at once, attention per sequence against its own cache.
 */
export class MultiContext {
  readonly model: Model;
  readonly sequences: number;
  readonly contextSize: number;
  readonly batchSize: number;
  /** Bytes of every sequence's caches together. */
  readonly kvBytes: number;
  /** Largest rollback of one sequence that keeps its sliding-window caches usable (see ringRollback). */
  readonly maxRollback: number;
  private readonly fp16Gelu: boolean;
  private readonly caches: ReadonlyArray<readonly LayerCache[]>;
  private readonly past: Int32Array;
  private readonly act: Activations;
  private readonly kernels: Kernels;
  private readonly plan: BatchPlan;
  /** Sequence of each segment of the step being built. */
  private readonly segSeq: Int32Array;
  /** Batch row of each requested output, in the order add() returned their indices. */
  private readonly outRows: Int32Array;
  private nOut = 0;

  constructor(model: Model, opts: MultiContextOptions) {
    const c = model.config;
    this.model = model;
    this.sequences = opts.sequences;
    this.contextSize = opts.contextSize ?? defaultContextSize(c);
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 64, this.contextSize));
    this.fp16Gelu = opts.fp16Gelu ?? false;
    if (!Number.isInteger(this.sequences) || this.sequences < 1 || this.sequences > this.batchSize) {
      throw new GemmaError("BAD_PROMPT", `sequences must be an integer in 1..${this.batchSize} (the batch size), got ${this.sequences}`);
    }
    if (!Number.isInteger(this.contextSize) || this.contextSize < 1) {
      throw new GemmaError("BAD_PROMPT", `context size must be a positive integer, got ${this.contextSize}`);
    }
    const kvOpts: KvCacheOptions = { contextSize: this.contextSize, maxBatch: this.batchSize, swaFull: opts.swaFull ?? false, kvType: opts.kvType };
    this.kvBytes = kvCacheBytes(c, kvOpts) * this.sequences;
    this.maxRollback = ringRollback(c, kvOpts);
    this.caches = Array.from({ length: this.sequences }, () => allocKvCache(model.arena, c, kvOpts));
    this.past = new Int32Array(this.sequences);
    ({ act: this.act, kernels: this.kernels } = allocStepBuffers(model, this.batchSize, this.contextSize));
    this.plan = new BatchPlan(this.batchSize);
    this.segSeq = new Int32Array(this.batchSize);
    this.outRows = new Int32Array(this.batchSize);
  }

  /** Tokens in sequence `seq`'s cache. */
  nPast(seq: number): number {
    return this.past[this.check(seq)]!;
  }

  /** Empties sequence `seq`. */
  clear(seq: number): void {
    this.past[this.check(seq)] = 0;
  }

  /** Forgets every position of sequence `seq` from `n` on, within maxRollback (as Context.truncate). */
  truncate(seq: number, n: number): void {
    const past = this.past[this.check(seq)]!;
    if (n < 0 || n > past) throw new GemmaError("BAD_PROMPT", `cannot truncate sequence ${seq} to ${n}: it holds ${past} tokens`);
    if (past - n > this.maxRollback) {
      throw new GemmaError("CONTEXT_OVERFLOW", `cannot roll back ${past - n} tokens: sliding-window caches keep only ${this.maxRollback}`);
    }
    this.past[seq] = n;
  }

  /** Starts building a step. */
  begin(): void {
    this.plan.clear();
    this.nOut = 0;
  }

  /** Rows the step being built still has room for. */
  get room(): number {
    return this.batchSize - this.plan.nTok;
  }

  /**
   * Adds tokens[from..to) to sequence `seq` in this step (at most one add per sequence and step). With `logits`,
   * the last of them produces logits: the return value is the index to pass to logits() after run(), else -1.
   */
  add(seq: number, tokens: ArrayLike<number>, from: number, to: number, logits: boolean): number {
    this.check(seq);
    const plan = this.plan;
    for (let s = 0; s < plan.count; s++) {
      if (this.segSeq[s] === seq) throw new GemmaError("BAD_PROMPT", `sequence ${seq} is already in this step`);
    }
    if (this.past[seq]! + to - from > this.contextSize) {
      throw new GemmaError("CONTEXT_OVERFLOW", `${this.past[seq]! + to - from} tokens do not fit the context of ${this.contextSize}`);
    }
    checkTokenIds(tokens, this.model.config.vocabSize, from, to);
    this.segSeq[plan.count] = seq;
    plan.add(this.caches[seq]!, this.past[seq]!, tokens, from, to);
    if (!logits) return -1;
    this.outRows[this.nOut] = plan.nTok - 1;
    return this.nOut++;
  }

  /**
   * Runs the step: every added token's key and value enter its sequence's cache and the requested logits are
   * computed. After a failure the sequences of the step hold an unknown part of it: the caller clears them.
   */
  run(): void {
    const plan = this.plan;
    if (plan.nTok === 0) return;
    forward(this.model, this.kernels, this.act, plan, this.outRows.subarray(0, this.nOut), { fp16Gelu: this.fp16Gelu });
    for (let s = 0; s < plan.count; s++) this.past[this.segSeq[s]!]! += plan.length[s]!;
  }

  /** The logits of output `i` of the last run() (a view, valid until the next step). */
  logits(i: number): Float32Array {
    const vocab = this.model.config.vocabSize;
    const at = this.act.logits + i * vocab;
    return this.model.arena.heapF32.subarray(at, at + vocab);
  }

  private check(seq: number): number {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.sequences) throw new GemmaError("BAD_PROMPT", `no sequence ${seq} (0..${this.sequences - 1})`);
    return seq;
  }
}
