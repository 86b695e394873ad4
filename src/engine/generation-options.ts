import type { Model } from "../model/model.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import type { GenerateOptions } from "./generate.js";
import type { TokenConstraint } from "./grammar/constraint.js";
import { grammarConstraint, jsonSchemaConstraint, vocabBytes, type VocabBytes } from "./grammar/index.js";
import { stopTokens as defaultStopTokens } from "./prompt.js";
import { DEFAULT_SAMPLING, type SamplingOptions } from "./sample.js";

/** What to do when a conversation or a generation no longer fits the context. */
export type ContextOverflow = "error" | "shift";

/**
 * Options of one generation. Every field is optional; the sampling fields default to llama.cpp's values
 * (DEFAULT_SAMPLING) except `seed`, which defaults to a random one.
 */
export interface GenerationOptions extends Partial<SamplingOptions> {
  /** Most tokens to generate (default 256); reaching it ends with finishReason "length". */
  readonly maxTokens?: number;
  /** Stop strings: the output ends before the first occurrence of any of them, across token boundaries. */
  readonly stop?: readonly string[];
  /** Token ids that end generation (default: <eos> and <end_of_turn>). */
  readonly stopTokens?: readonly number[];
  /** Aborting it ends the generation at the next token with finishReason "abort". */
  readonly signal?: AbortSignal;
  /** Report the log-probability of each chosen token and of the n most likely tokens at each step (0..20). */
  readonly logprobs?: number;
  /** Constrain the output to a JSON document valid against this JSON schema (src/engine/grammar). */
  readonly jsonSchema?: unknown;
  /** Most whitespace bytes in one gap between the tokens of a jsonSchema answer (default 20; 0: compact JSON). */
  readonly jsonWhitespace?: number;
  /** Constrain the output to the language of this GBNF grammar (root rule `root`). */
  readonly grammar?: string;
  /**
   * "error" (default): a prompt or an output that outgrows the context is a CONTEXT_OVERFLOW error. "shift":
   * drop the oldest part (chat: the oldest exchanges, keeping the system prompt; plain text: the older half
   * after the first token) and re-evaluate what remains, then go on.
   */
  readonly contextOverflow?: ContextOverflow;
}

/** Most tokens per generation when maxTokens is not given. */
export const DEFAULT_MAX_TOKENS = 256;
const MAX_LOGPROBS = 20;

/** The engine's options for one generation, every default filled in (the context shift is the caller's). */
export function resolveGeneration(model: Model, contextSize: number, o: GenerationOptions): Omit<GenerateOptions, "shift"> {
  const maxTokens = o.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new GemmaError("BAD_PROMPT", `maxTokens must be an integer >= 1, got ${maxTokens}`);
  if (o.logprobs !== undefined && !(Number.isInteger(o.logprobs) && o.logprobs >= 0 && o.logprobs <= MAX_LOGPROBS)) {
    throw new GemmaError("BAD_SAMPLING", `logprobs must be an integer in 0..${MAX_LOGPROBS}, got ${o.logprobs}`);
  }
  if (o.jsonSchema !== undefined && o.grammar !== undefined) throw new GemmaError("BAD_PROMPT", "give either jsonSchema or grammar, not both");
  const tok = model.tokenizer;
  const stopTokens = o.stopTokens ?? defaultStopTokens(tok);
  const repeatLastN = o.repeatLastN ?? DEFAULT_SAMPLING.repeatLastN;
  const sampling: SamplingOptions = {
    temperature: o.temperature ?? DEFAULT_SAMPLING.temperature,
    topK: o.topK ?? DEFAULT_SAMPLING.topK,
    topP: o.topP ?? DEFAULT_SAMPLING.topP,
    minP: o.minP ?? DEFAULT_SAMPLING.minP,
    typicalP: o.typicalP ?? DEFAULT_SAMPLING.typicalP,
    repeatPenalty: o.repeatPenalty ?? DEFAULT_SAMPLING.repeatPenalty,
    // -1 means the whole context, as llama.cpp's --repeat-last-n -1
    repeatLastN: repeatLastN === -1 ? contextSize : repeatLastN,
    frequencyPenalty: o.frequencyPenalty ?? DEFAULT_SAMPLING.frequencyPenalty,
    presencePenalty: o.presencePenalty ?? DEFAULT_SAMPLING.presencePenalty,
    logitBias: o.logitBias ?? DEFAULT_SAMPLING.logitBias,
    seed: o.seed ?? Math.floor(Math.random() * 2 ** 32),
  };
  return {
    maxTokens,
    sampling,
    stopTokens,
    stopStrings: o.stop,
    signal: o.signal,
    logprobs: o.logprobs,
    constraint: constraintOf(tok, stopTokens, o),
  };
}

function constraintOf(tok: Tokenizer, stopTokens: readonly number[], o: GenerationOptions): TokenConstraint | undefined {
  if (o.jsonSchema !== undefined) return jsonSchemaConstraint(vocabOf(tok, stopTokens), o.jsonSchema, { maxWhitespace: o.jsonWhitespace });
  if (o.grammar !== undefined) return grammarConstraint(vocabOf(tok, stopTokens), o.grammar);
  return undefined;
}

/** The byte view of a vocabulary is costly (every piece, a prefix tree): built once per tokenizer and stop set. */
const vocabCache = new WeakMap<Tokenizer, Map<string, VocabBytes>>();

function vocabOf(tok: Tokenizer, stopTokens: readonly number[]): VocabBytes {
  let byStops = vocabCache.get(tok);
  if (!byStops) vocabCache.set(tok, (byStops = new Map()));
  const key = stopTokens.join(",");
  let v = byStops.get(key);
  if (!v) byStops.set(key, (v = vocabBytes(tok, stopTokens)));
  return v;
}
