/**
 * gemma-ts library entry point (browser-safe: no Node built-ins). Node users load models by name or path with
 * `gemma-ts/node`; everything here works on a GgufFile opened from any ByteSource.
 */
export { GemmaError, isGemmaError, type ErrorCode } from "../util/errors.js";
export { memorySource, type ByteSource } from "../util/byte-source.js";
export { openGguf, readGguf, type GgufFile } from "../formats/gguf/index.js";
export type { Tokenizer } from "../tokenizer/index.js";
export { loadGgufModel, planGgufModel } from "../model/load-gguf.js";
export type { Model, ModelInfo } from "../model/model.js";
export type { ModelConfig, LayerConfig } from "../model/config.js";
export { Context, type ContextOptions, type EvaluateOptions } from "../engine/context.js";
export { generate, type GenerateOptions, type GenerateResult, type GeneratedToken } from "../engine/generate.js";
export { chatPromptTokens, stopTokens, type ChatMessage } from "../engine/prompt.js";
export { perplexity, type PerplexityResult } from "../engine/perplexity.js";
export { DEFAULT_SAMPLING, Sampler, type SamplingOptions } from "../engine/sample.js";
