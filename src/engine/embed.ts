import type { Kernels } from "../kernels/kernels.js";
import { rmsNorm } from "../kernels/ref/norm.js";
import type { Model } from "../model/model.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import { Context } from "./context.js";
import { allocStepBuffers } from "./step-buffers.js";
import { defaultContextSize } from "../model/config.js";

export interface EmbedderOptions {
  /** Longest input in tokens (default: the model's training length, at most 4096). */
  readonly contextSize?: number;
  /** Emulate ggml's f16-table GELU (tests against llama.cpp). */
  readonly fp16Gelu?: boolean;
}

export interface EmbedOptions {
  /**
   * Scale the vector to unit L2 length: sentence-transformers' Normalize module, the last step of EmbeddingGemma,
   * which llama.cpp leaves to its callers (its embedding tool's default --embd-normalize 2, common_embd_normalize).
   * Embedder.embed's default is true; GemmaModel.embed's is the model's (a folder's Normalize module; GGUF: true).
   */
  readonly normalize?: boolean;
  /**
   * Keep only the first `dimensions` components (before normalizing): EmbeddingGemma is trained with Matryoshka
   * representation learning, so its leading 512, 256 or 128 components stand on their own. Default: all.
   */
  readonly dimensions?: number;
}

/** Throws unless the model pools its token vectors into one embedding (GGUF `<arch>.pooling_type` mean/cls/last). */
export function assertEmbeddingModel(model: Model): void {
  const c = model.config;
  if (c.pooling === "none") {
    throw new GemmaError(
      "MODEL_NOT_EMBEDDING",
      `${c.name} (${c.architecture}) is not an embedding model: it has no pooling (GGUF ${c.architecture}.pooling_type); ` +
        "embeddings need a model such as EmbeddingGemma (gemma-embedding) whose file sets mean, cls or last pooling",
    );
  }
}

/** How a text becomes an embedding model's input. */
export interface EmbeddingInputOptions {
  /** Append EOS (`tokenizer.ggml.add_eos_token`; a Hugging Face folder's tokenizer files). */
  readonly addEos: boolean;
  /** Longest input in tokens, BOS and EOS included; longer texts are cut, keeping BOS and EOS. Default: no limit. */
  readonly maxTokens?: number;
  /** Lower-case the text first (sentence-transformers' do_lower_case). */
  readonly lowercase?: boolean;
}

/**
 * The ids an embedding model runs for a text, as llama.cpp tokenizes with add_special: BOS first when the
 * tokenizer adds one, EOS last when asked (set for EmbeddingGemma). Special-token strings in the text stay plain
 * text. Past `maxTokens` the text's tokens are cut from the end and BOS and EOS kept, as sentence-transformers'
 * tokenizer call (truncation to max_length counts the special tokens it adds) gives BOS + first tokens + EOS.
 */
export function embeddingIds(tok: Tokenizer, text: string, opts: EmbeddingInputOptions): number[] {
  const ids = tok.encode(opts.lowercase ? text.toLowerCase() : text, { addBos: tok.addBos });
  const eos = opts.addEos && tok.eos >= 0;
  const max = opts.maxTokens ?? Infinity;
  if (ids.length + (eos ? 1 : 0) > max) ids.length = Math.max(tok.addBos ? 1 : 0, max - (eos ? 1 : 0));
  if (eos) ids.push(tok.eos);
  return ids;
}

/**
 * Text embeddings (EmbeddingGemma): the whole input in one bidirectional forward step, the final norm on every
 * token, pooling (mean over all tokens, as llama.cpp's inp_mean and sentence-transformers' Pooling; or the first or
 * last token), the dense projections the file has, then optional L2 normalization
 * (ggml-org/llama.cpp:src/llama-graph.cpp build_pooling, build_dense_out). The context, its buffers and the
 * projection buffers are allocated once; each input starts from an empty cache.
 */
export class Embedder {
  readonly model: Model;
  /** Width of the vectors embed() returns. */
  readonly dimensions: number;
  private readonly ctx: Context;
  /** The model's kernels, planned for one row: the projections of the pooled vector. */
  private readonly kernels: Kernels;
  private readonly sum: Float64Array;
  /** Float indices of two arena buffers the projections ping-pong between. */
  private readonly bufA: number;
  private readonly bufB: number;

  constructor(model: Model, opts: EmbedderOptions = {}) {
    assertEmbeddingModel(model);
    const c = model.config;
    const contextSize = opts.contextSize ?? defaultContextSize(c);
    // Attention sees the whole input, so all of it goes through in one step (llama.cpp: n_ubatch >= n_tokens
    // for non-causal models); full-length caches, since a step writes every key before any query reads.
    this.ctx = new Context(model, { contextSize, batchSize: contextSize, swaFull: true, logits: false, fp16Gelu: opts.fp16Gelu });
    this.model = model;
    const dense = model.weights.dense;
    this.dimensions = dense.length > 0 ? dense[dense.length - 1]!.rows : c.dModel;
    const widest = Math.max(c.dModel, ...dense.map((m) => m.rows));
    const arena = model.arena;
    this.bufA = arena.alloc(widest * 4) >>> 2;
    this.bufB = arena.alloc(widest * 4) >>> 2;
    this.kernels = allocStepBuffers(model, 1, 1, 0).kernels;
    this.sum = new Float64Array(c.dModel);
  }

  /** Longest input in tokens. */
  get contextSize(): number {
    return this.ctx.contextSize;
  }

  /** The embedding of token ids (used as they are: no BOS or EOS is added). */
  embed(ids: readonly number[], opts: EmbedOptions = {}): Float32Array {
    const n = ids.length;
    if (opts.dimensions !== undefined && !(Number.isInteger(opts.dimensions) && opts.dimensions >= 1)) {
      throw new GemmaError("BAD_PROMPT", `dimensions must be a positive integer, got ${opts.dimensions}`);
    }
    if (n === 0) throw new GemmaError("BAD_PROMPT", "nothing to embed: the input has no tokens");
    if (n > this.ctx.contextSize) {
      throw new GemmaError("CONTEXT_OVERFLOW", `the input has ${n} tokens; the embedding context holds ${this.ctx.contextSize}`);
    }
    const c = this.model.config;
    const D = c.dModel;
    const arena = this.model.arena;
    const normW = this.model.weights.outputNorm.ptr >>> 2;
    const first = c.pooling === "last" ? n - 1 : 0;
    const count = c.pooling === "mean" ? n : 1;
    const sum = this.sum.fill(0);
    this.ctx.clear();
    this.ctx.evaluate(ids, {
      logits: "none",
      onResidual: (stage, i, x) => {
        if (stage !== c.nLayers || i < first || i >= first + count) return;
        // x views the residual row inside the arena heap: its normed copy goes to bufA
        const heap = arena.heapF32;
        rmsNorm(heap, x.byteOffset >>> 2, normW, this.bufA, D, c.normEps);
        for (let d = 0; d < D; d++) sum[d] += heap[this.bufA + d]!;
      },
    });
    // mean: the sum (in double) times f32(1/n), the weight llama.cpp's inp_mean gives every token
    const scale = Math.fround(1 / count);
    let heap = arena.heapF32;
    for (let d = 0; d < D; d++) heap[this.bufA + d] = Math.fround(sum[d]! * scale);
    let src = this.bufA;
    let dst = this.bufB;
    for (const m of this.model.weights.dense) {
      this.kernels.matmul(m, src, 1, dst);
      [src, dst] = [dst, src];
    }
    heap = arena.heapF32;
    const out = heap.slice(src, src + Math.min(this.dimensions, opts.dimensions ?? Infinity));
    if (opts.normalize ?? true) normalizeL2(out);
    return out;
  }
}

/** v / ‖v‖₂ with the sum of squares in double, as llama.cpp's common_embd_normalize (a zero vector stays zero). */
function normalizeL2(v: Float32Array): void {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i]! * v[i]!;
  const inv = ss > 0 ? Math.fround(1 / Math.sqrt(ss)) : 0;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * inv;
}
