import type { Arena } from "../kernels/arena.js";
import type { Tokenizer } from "../tokenizer/index.js";
import type { ModelConfig } from "./config.js";
import type { ModelWeights } from "./weights.js";

/** A loaded model: its configuration, its weights in the arena, and its tokenizer. */
export interface Model {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly tokenizer: Tokenizer;
  readonly arena: Arena;
  /** Facts about the file for `gemma info` (format, tensor types, chat template). */
  readonly info: ModelInfo;
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
}
