/**
 * Per-architecture facts, as data. Model code asks about features ("has post-norms?"), never about generations.
 * Values are llama.cpp's rules for GGUF input unless the file states them (the loaders read the file first);
 * sources: ggml-org/llama.cpp:src/models/{gemma,gemma2,gemma3}.cpp (load_arch_hparams),
 * ggml-org/llama.cpp:src/llama-hparams.cpp (set_swa_pattern), and ../shared/reference/gemma-architecture.md §1-3.
 */
export interface ArchitectureFacts {
  /** RMSNorm on the attention and FFN outputs before the residual add (Gemma 2/3 "sandwich" norms). */
  readonly postNorms: boolean;
  /** Per-head RMSNorm of q and k before RoPE (Gemma 3). */
  readonly qkNorm: boolean;
  /** Sliding-window layers exist; the window comes from the file or `defaultWindow`. */
  readonly slidingWindow: boolean;
  /** Window when the file does not say (Gemma 2: 4096; Gemma 3: a missing key means no sliding window). */
  readonly defaultWindow: number;
  /** Period of the local/global pattern: layer i is global iff i % period == period - 1 (0: every layer local). */
  readonly defaultPatternPeriod: number;
  /** RoPE base of sliding-window layers when the file does not say; undefined means "same as the global base". */
  readonly defaultLocalRopeBase: number | undefined;
  /** Whether linear RoPE scaling from the file applies to sliding-window layers too (Gemma 3: global layers only). */
  readonly ropeScalingOnLocal: boolean;
  /** Attention-logit soft-cap when the file does not say (0: none). */
  readonly defaultAttnSoftcap: number;
  /** Final-logit soft-cap when the file does not say (0: none). */
  readonly defaultFinalSoftcap: number;
  /**
   * Layer counts of the sizes whose query scale is 1/sqrt(hidden/heads) instead of 1/sqrt(head_dim)
   * (the 27B models: query_pre_attn_scalar = 144 for Gemma 2, 168 for Gemma 3). GGUF does not store the scale;
   * llama.cpp picks it from block_count, and so do we for GGUF input.
   */
  readonly hiddenPerHeadQueryScaleLayers: readonly number[];
  /**
   * Attention sees the whole input, later positions included, and a sliding window spans window/2 positions on
   * each side (EmbeddingGemma: llama.cpp causal_attn = false with LLAMA_SWA_TYPE_SYMMETRIC).
   */
  readonly bidirectional: boolean;
}

// Gemma 3 text: QK-norm, 5 local : 1 global, local RoPE base 10k without scaling (llama.cpp src/models/gemma3.cpp,
// rope_freq_base_train_swa default in src/llama-hparams.h).
const GEMMA3: ArchitectureFacts = {
  postNorms: true,
  qkNorm: true,
  slidingWindow: true,
  defaultWindow: 0,
  defaultPatternPeriod: 6,
  defaultLocalRopeBase: 10000,
  ropeScalingOnLocal: false,
  defaultAttnSoftcap: 0,
  defaultFinalSoftcap: 0,
  hiddenPerHeadQueryScaleLayers: [62],
  bidirectional: false,
};

export const ARCHITECTURES: Readonly<Record<string, ArchitectureFacts>> = {
  // Gemma 1, CodeGemma: every layer global, no post-norms, no soft-caps (llama.cpp src/models/gemma.cpp).
  gemma: {
    postNorms: false,
    qkNorm: false,
    slidingWindow: false,
    defaultWindow: 0,
    defaultPatternPeriod: 1,
    defaultLocalRopeBase: undefined,
    ropeScalingOnLocal: true,
    defaultAttnSoftcap: 0,
    defaultFinalSoftcap: 0,
    hiddenPerHeadQueryScaleLayers: [],
    bidirectional: false,
  },
  // Gemma 2, ShieldGemma: even layers local (window 4096), caps 50 / 30 (llama.cpp src/models/gemma2.cpp,
  // defaults in src/llama-hparams.h).
  gemma2: {
    postNorms: true,
    qkNorm: false,
    slidingWindow: true,
    defaultWindow: 4096,
    defaultPatternPeriod: 2,
    defaultLocalRopeBase: undefined,
    ropeScalingOnLocal: true,
    defaultAttnSoftcap: 50,
    defaultFinalSoftcap: 30,
    hiddenPerHeadQueryScaleLayers: [46],
    bidirectional: false,
  },
  gemma3: GEMMA3,
  // EmbeddingGemma: the Gemma 3 layer stack with bidirectional attention and symmetric windows, the query scale
  // always 1/sqrt(head_dim); a pooled, optionally projected vector instead of logits (llama.cpp
  // src/models/gemma-embedding.cpp; pooling and the dense projections in src/llama-graph.cpp build_pooling and
  // build_dense_out).
  "gemma-embedding": { ...GEMMA3, hiddenPerHeadQueryScaleLayers: [], bidirectional: true },
};
