import type { GgufMetadata } from "../formats/gguf/index.js";
import type { Arena } from "../kernels/arena.js";
import type { WasmKernels } from "../kernels/wasm/index.js";
import type { Tokenizer } from "../tokenizer/index.js";
import type { ModelConfig } from "./config.js";
import type { ArenaLimits } from "./weight-placement.js";
import type { ModelWeights } from "./weights.js";

/** A loaded model: its configuration, its weights in the arena, and its tokenizer. */
export interface Model {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly tokenizer: Tokenizer;
  readonly arena: Arena;
  /** The WebAssembly kernels bound to the arena's memory; undefined runs the reference kernels. */
  readonly wasm?: WasmKernels | undefined;
  /** Further arenas holding the matrices of a model too large for one WebAssembly memory (weight-placement.ts). */
  readonly shards?: readonly WeightShard[] | undefined;
  /** Facts about the file for `gemma info` (format, tensor types, chat template). */
  readonly info: ModelInfo;
}

/** An arena of weights with the kernels bound to its memory (undefined: the reference kernels). */
export interface WeightShard {
  readonly arena: Arena;
  readonly wasm: WasmKernels | undefined;
}

/**
 * sentence-transformers' text preparation and last step for an embedding model
 * (UKPLab/sentence-transformers:sentence_transformers/base/modules/transformer.py, Normalize).
 */
export interface EmbeddingSettings {
  /**
   * Longest input in tokens, BOS and EOS included: a longer text keeps BOS, its first tokens and EOS (the tokenizer's
   * truncation). sentence_bert_config.json's max_seq_length, else config.json's max_position_embeddings.
   */
  readonly maxTokens: number;
  /** Lower-case the text before tokenizing (sentence_bert_config.json do_lower_case). */
  readonly lowercase: boolean;
  /** L2-normalize the vector: modules.json lists a Normalize module. */
  readonly normalize: boolean;
}

export interface ModelInfo {
  readonly format: "gguf" | "safetensors";
  readonly source: string;
  /** Total parameters (elements of every weight tensor; the tied LM head counted once). */
  readonly parameterCount: number;
  readonly weightBytes: number;
  /** Bytes per ggml type name. */
  readonly bytesByType: Readonly<Record<string, number>>;
  readonly chatTemplate: string | undefined;
  /** Instruction-tuned (has a chat template or an "-it" name), as far as the file tells. */
  readonly instructionTuned: boolean;
  /** Hugging Face folders: the tokenizer files append EOS to an encoded text (GGUF: `tokenizer.ggml.add_eos_token`). */
  readonly addEos?: boolean;
  /** Hugging Face sentence-transformers folders: how the modules prepare a text and finish its embedding. */
  readonly embedding?: EmbeddingSettings;
  /** The GGUF key/value metadata (absent for Hugging Face folders): keys some features read, such as the FIM ids. */
  readonly metadata?: GgufMetadata | undefined;
}

/**
 * Which kernels run the matrix products: "wasm" (WebAssembly SIMD, one thread), "ref" (plain TypeScript), or a
 * factory binding kernels to the arenas' memories (a worker pool, for threads): one WasmKernels per memory, in
 * order, all computed by the same threads (a model beyond 4 GiB has several memories, weight-placement.ts).
 */
export type Backend =
  | "wasm"
  | "ref"
  | { readonly shared: boolean; create(memories: readonly WebAssembly.Memory[]): Promise<readonly WasmKernels[]> };

export interface LoadProgress {
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

export interface LoadOptions {
  readonly backend?: Backend;
  /** When weights are spread over several WebAssembly memories (tests lower these to exercise it on small models). */
  readonly arenaLimits?: ArenaLimits;
  readonly onProgress?: ((p: LoadProgress) => void) | undefined;
}
