/** Settings of one transformer layer: what differs between layers is data, read by the one layer function. */
export interface LayerConfig {
  /** Keys visible to a query at position p: p - window < j <= p; 0 means every earlier position (global). */
  readonly window: number;
  readonly ropeBase: number;
  /** Linear RoPE scaling: angles are multiplied by this (1 / factor). */
  readonly ropeFreqScale: number;
}

/**
 * How the token vectors of one input become one embedding: llama.cpp's llama_pooling_type, read from the GGUF key
 * `<arch>.pooling_type` (0 none, 1 mean, 2 cls, 3 last). "none" is every text generator, and an embedding model
 * whose file names no pooling (llama.cpp then gives per-token vectors only).
 */
export type Pooling = "none" | "mean" | "cls" | "last";

/** Everything the forward pass needs to know about a model, independent of the file format. */
export interface ModelConfig {
  readonly architecture: string;
  readonly name: string;
  readonly nLayers: number;
  readonly dModel: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly dFfn: number;
  readonly vocabSize: number;
  /** Training context length. */
  readonly contextLength: number;
  readonly normEps: number;
  /** Token embeddings are multiplied by this (sqrt(dModel) in f32, as llama.cpp and transformers-fp32 do). */
  readonly embedScale: number;
  /** q is multiplied by this before q·k (1/sqrt(query_pre_attn_scalar)). */
  readonly queryScale: number;
  /** s -> cap·tanh(s/cap) on attention scores; 0 = none. */
  readonly attnSoftcap: number;
  /** logits -> cap·tanh(logits/cap); 0 = none. */
  readonly finalSoftcap: number;
  readonly postNorms: boolean;
  readonly qkNorm: boolean;
  /** Queries see later positions too; sliding windows are then symmetric (see ArchitectureFacts.bidirectional). */
  readonly bidirectional: boolean;
  readonly pooling: Pooling;
  readonly layers: readonly LayerConfig[];
}

/** The largest sliding window of any layer (0 when every layer is global). */
export function maxWindow(config: ModelConfig): number {
  return config.layers.reduce((m, l) => Math.max(m, l.window), 0);
}

/** Positions a context holds when not told: the training length, at most 4096 (memory grows with it). */
export function defaultContextSize(config: ModelConfig): number {
  return Math.min(config.contextLength, 4096);
}
