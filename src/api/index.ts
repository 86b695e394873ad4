/**
 * gemma-ts library entry point (browser-safe: no Node built-ins). Node users load models by name or path with
 * `gemma-ts/node`; here a model is loaded from a GgufFile opened on any ByteSource.
 *
 * @example
 * const file = await readGguf(memorySource("model.gguf", bytes));
 * const model = await loadModelFromGguf(file, { contextSize: 2048 });
 * for await (const chunk of model.generate("The capital of France is", { maxTokens: 20 })) show(chunk.text);
 */
export { GemmaError, isGemmaError, type ErrorCode } from "../util/errors.js";
export { memorySource, type ByteSource } from "../util/byte-source.js";
export { openGguf, readGguf, type GgufFile } from "../formats/gguf/index.js";
export type { Tokenizer, StreamDecoder } from "../tokenizer/index.js";
export { loadGgufModel, planGgufModel, type LoadProgress } from "../model/load-gguf.js";
export type { EmbeddingSettings, Model, ModelInfo } from "../model/model.js";
export type { ModelConfig, LayerConfig, Pooling } from "../model/config.js";
export {
  checkModelOptions,
  GemmaModel,
  loadModelFromGguf,
  type CompletionOptions,
  type GgufLoadOptions,
  type KvType,
  type ModelOptions,
  type TokenizeOptions,
} from "./model.js";
export { Context, type ContextOptions, type EvaluateOptions } from "../engine/context.js";
export { TokenSequence, type PrefillStats } from "../engine/sequence.js";
export { MultiContext, type MultiContextOptions } from "../engine/multi-context.js";
export { BatchScheduler, type BatchStats } from "../engine/batch-scheduler.js";
export { BatchedModel } from "./batched-model.js";
export {
  dropOldestHalf,
  generate,
  type ContextShift,
  type FinishReason,
  type GenerateOptions,
  type GenerateResult,
  type GeneratedChunk,
} from "../engine/generate.js";
export {
  DEFAULT_MAX_TOKENS,
  resolveGeneration,
  type ContextOverflow,
  type GenerationOptions,
} from "../engine/generation-options.js";
export { GenerationStream } from "../engine/generation-stream.js";
export { ChatSession, type ChatSessionOptions, type ChatTurnResult } from "../engine/chat-session.js";
export { chatFormat, type ChatFormat, type ChatTemplateChoice } from "../engine/chat-template.js";
export { chatPromptTokens, stopTokens, type ChatMessage } from "../engine/prompt.js";
export type { ToolChatOptions, ToolChatResult } from "./tool-chat.js";
export { ToolRequestError, type ToolChoice, type ToolDefinition, type ToolSetup } from "../engine/tool-definitions.js";
export {
  planToolChat,
  type ToolCallsMessage,
  type ToolChatMessage,
  type ToolChatPlan,
  type ToolResultMessage,
} from "../engine/tool-prompt.js";
export { readToolAnswer, ToolAnswerReader, type ToolAnswer, type ToolAnswerEvent, type ToolCall } from "../engine/tool-answer.js";
export { promptIds, type PromptPart } from "../engine/prompt-parts.js";
export { StopStringMatcher } from "../engine/stop-strings.js";
export type { TokenLogprobs, TokenProbability } from "../engine/logprobs.js";
export { perplexity, type PerplexityResult } from "../engine/perplexity.js";
export { classify, shieldPromptIds, type ShieldInput, type ShieldResult, type ShieldTemplate } from "../engine/classify.js";
export { fimPromptIds, fimStopTokens, fimTokens, type FimTokens } from "../engine/fim.js";
export { Embedder, embeddingIds, type EmbedderOptions, type EmbeddingInputOptions, type EmbedOptions } from "../engine/embed.js";
export { DEFAULT_SAMPLING, Sampler, checkSampling, type SamplingOptions } from "../engine/sample.js";
export type { TokenConstraint } from "../engine/grammar/index.js";
