import type { Kernels } from "../kernels/kernels.js";
import type { Model } from "../model/model.js";
import { GemmaError } from "../util/errors.js";
import type { Activations } from "./activations.js";
import { BatchPlan, checkTokenIds } from "./batch.js";
import { forward } from "./forward.js";
import { allocStepBuffers } from "./step-buffers.js";
import { allocKvCache, kvCacheBytes, ringRollback, type KvType, type LayerCache } from "./kv-cache.js";
import { defaultContextSize } from "../model/config.js";

export interface ContextOptions {
  /** Positions this context holds (default: the model's training length, at most 4096). */
  readonly contextSize?: number;
  /** Tokens per forward step while pre-filling (default 64). */
  readonly batchSize?: number;
  /** Full-length caches on sliding-window layers (see kv-cache.ts). */
  readonly swaFull?: boolean;
  /** Emulate ggml's f16-table GELU (tests against llama.cpp). */
  readonly fp16Gelu?: boolean;
  /** Element type of the KV cache (default f32; see kv-cache.ts). */
  readonly kvType?: KvType;
  /**
   * false: the context never returns logits, so it has no [batch, vocab] logits buffer (embedding contexts, whose
   * batch is the whole input); evaluate() then takes `logits: "none"` only. Default true.
   */
  readonly logits?: boolean;
}

export interface EvaluateOptions {
  /** Which positions of `tokens` produce logits: the last one (default), all, none, or those a predicate picks. */
  readonly logits?: "last" | "all" | "none" | ((index: number) => boolean);
  /** Receives each requested row: its index in `tokens` and the logits (a view valid until the next call). */
  readonly onLogits?: (index: number, logits: Float32Array) => void;
  /** Residual stream per stage (0: embedding, l + 1: after layer l): (stage, index in `tokens`, row view [dModel]). */
  readonly onResidual?: (stage: number, index: number, x: Float32Array) => void;
}

/**
 * A sequence being evaluated: the KV cache and the activation buffers, planned once. Tokens go in through
 * evaluate(); positions continue from the tokens already in the cache.
 */
export class Context {
  readonly model: Model;
  readonly contextSize: number;
  readonly batchSize: number;
  readonly swaFull: boolean;
  readonly kvType: KvType;
  readonly kvBytes: number;
  private readonly fp16Gelu: boolean;
  private readonly kernels: Kernels;
  private readonly act: Activations;
  private readonly cache: readonly LayerCache[];
  private past = 0;
  private readonly rowsBuf: Int32Array;
  private readonly logitRows: number;
  private readonly plan: BatchPlan;

  constructor(model: Model, opts: ContextOptions = {}) {
    const c = model.config;
    this.model = model;
    this.contextSize = opts.contextSize ?? defaultContextSize(c);
    this.batchSize = Math.max(1, Math.min(opts.batchSize ?? 64, this.contextSize));
    this.swaFull = opts.swaFull ?? false;
    this.fp16Gelu = opts.fp16Gelu ?? false;
    this.kvType = opts.kvType ?? "f32";
    if (!Number.isInteger(this.contextSize) || this.contextSize < 1) {
      throw new GemmaError("BAD_PROMPT", `context size must be a positive integer, got ${this.contextSize}`);
    }
    const kvOpts = { contextSize: this.contextSize, maxBatch: this.batchSize, swaFull: this.swaFull, kvType: this.kvType };
    this.kvBytes = kvCacheBytes(c, kvOpts);
    const arena = model.arena;
    this.cache = allocKvCache(arena, c, kvOpts);
    this.logitRows = opts.logits === false ? 0 : this.batchSize;
    ({ act: this.act, kernels: this.kernels } = allocStepBuffers(model, this.batchSize, this.contextSize, this.logitRows));
    this.rowsBuf = new Int32Array(this.batchSize);
    this.plan = new BatchPlan(this.batchSize);
  }

  /** Tokens in the cache. */
  get nPast(): number {
    return this.past;
  }

  /** Largest rollback (in tokens) that keeps sliding-window caches usable; Infinity with full caches. */
  get maxRollback(): number {
    return ringRollback(this.model.config, { contextSize: this.contextSize, maxBatch: this.batchSize, swaFull: this.swaFull });
  }

  /** Empties the sequence (always possible: nothing old is needed to start again from position 0). */
  clear(): void {
    this.past = 0;
  }

  /** Forgets every position from `n` on (n <= nPast). */
  truncate(n: number): void {
    if (n < 0 || n > this.past) throw new GemmaError("BAD_PROMPT", `cannot truncate to ${n}: the context holds ${this.past} tokens`);
    if (this.past - n > this.maxRollback) {
      throw new GemmaError(
        "CONTEXT_OVERFLOW",
        `cannot roll back ${this.past - n} tokens: sliding-window caches keep only ${this.maxRollback} (use swaFull, or re-evaluate)`,
      );
    }
    this.past = n;
  }

  /** Appends `tokens` to the sequence, pre-filling in batches. */
  evaluate(tokens: ArrayLike<number>, opts: EvaluateOptions = {}): void {
    const n = tokens.length;
    const vocab = this.model.config.vocabSize;
    if (this.past + n > this.contextSize) {
      throw new GemmaError("CONTEXT_OVERFLOW", `${this.past + n} tokens do not fit the context of ${this.contextSize}`);
    }
    checkTokenIds(tokens, vocab);
    const mode = opts.logits ?? "last";
    const wanted = typeof mode === "function" ? mode : (i: number) => (mode === "all" ? true : mode === "last" ? i === n - 1 : false);
    const heap = () => this.model.arena.heapF32;
    const D = this.model.config.dModel;
    for (let start = 0; start < n; start += this.batchSize) {
      const end = Math.min(n, start + this.batchSize);
      this.plan.clear();
      this.plan.add(this.cache, this.past, tokens, start, end);
      let nOut = 0;
      for (let i = start; i < end; i++) {
        if (wanted(i)) this.rowsBuf[nOut++] = i - start;
      }
      if (nOut > this.logitRows) throw new GemmaError("BAD_PROMPT", "this context was created without logits (logits: false)");
      const onResidual = opts.onResidual;
      forward(this.model, this.kernels, this.act, this.plan, this.rowsBuf.subarray(0, nOut), {
        fp16Gelu: this.fp16Gelu,
        onResidual: onResidual
          ? (stage, x, nTok) => {
              for (let t = 0; t < nTok; t++) onResidual(stage, start + t, heap().subarray(x + t * D, x + (t + 1) * D));
            }
          : undefined,
      });
      this.past += end - start;
      if (opts.onLogits) {
        for (let r = 0; r < nOut; r++) {
          const row = this.act.logits + r * vocab;
          opts.onLogits(start + this.rowsBuf[r]!, heap().subarray(row, row + vocab));
        }
      }
    }
  }
}
