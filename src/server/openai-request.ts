import type { CompletionOptions, GemmaModel } from "../api/model.js";
import { fimPromptIds, fimStopTokens, fimTokens } from "../engine/fim.js";
import { ToolRequestError } from "../engine/tool-definitions.js";
import { planToolChat, type ToolChatMessage, type ToolChatPlan } from "../engine/tool-prompt.js";
import { ApiError, badField } from "./api-error.js";
import { toolCalls, toolRequestError, toolSetup } from "./tool-request.js";

/** A validated generation request, ready for the model. */
export interface ParsedRequest {
  /** Prompt token ids (chat: the formatted conversation). */
  readonly prompt: readonly number[];
  readonly stream: boolean;
  /** stream_options.include_usage: a last chunk with the usage. */
  readonly includeUsage: boolean;
  /** Alternatives per token wanted in logprobs; undefined: no logprobs. */
  readonly topLogprobs: number | undefined;
  /** Choices wanted (OpenAI's `n`): that many independent generations of the same prompt. */
  readonly n: number;
  /** Chat with tools active: each answer is tool-call JSON, read into tool calls or content (engine/tool-answer.ts). */
  readonly toolAnswers: boolean;
  readonly options: CompletionOptions;
}

type Body = Record<string, unknown>;

/** OpenAI allows at most 4 stop sequences. */
const MAX_STOPS = 4;
/** OpenAI's limit on `n`; the server's --parallel bounds it further. */
const MAX_CHOICES = 128;

/** `contextSize`: positions of the sequence that will run the request. */
export function parseChatRequest(raw: unknown, model: GemmaModel, modelId: string, contextSize: number): ParsedRequest {
  const body = common(raw, modelId);
  const tools = toolSetup(body);
  const messages = chatMessages(body.messages);
  let plan: ToolChatPlan;
  try {
    plan = planToolChat(messages, tools);
  } catch (e) {
    if (e instanceof ToolRequestError) throw toolRequestError(e);
    throw e;
  }
  let prompt: number[];
  try {
    prompt = model.formatChat(plan.messages);
  } catch (e) {
    throw badField("messages", (e as Error).message);
  }
  const logprobs = optionalBoolean(body, "logprobs") ?? false;
  const top = optionalInt(body, "top_logprobs", 0, 20);
  if (top !== undefined && !logprobs) throw badField("top_logprobs", "top_logprobs needs logprobs: true");
  const toolAnswers = plan.jsonSchema !== undefined;
  if (toolAnswers && responseFormat(body.response_format) !== undefined) {
    throw badField("response_format", 'response_format cannot be combined with tools: with tools the answer is tool-call JSON (give tool_choice "none" to answer in the format without tools)');
  }
  if (toolAnswers && logprobs) throw new ApiError(400, "logprobs are not supported together with tools", { param: "logprobs", code: "unsupported_parameter" });
  const maxTokens = optionalInt(body, "max_completion_tokens", 1) ?? optionalInt(body, "max_tokens", 1);
  const r = finish(body, model, contextSize, prompt, "messages", maxTokens, logprobs ? (top ?? 0) : undefined);
  return toolAnswers ? { ...r, toolAnswers, options: { ...r.options, jsonSchema: plan.jsonSchema, jsonWhitespace: plan.jsonWhitespace } } : r;
}

export function parseCompletionRequest(raw: unknown, model: GemmaModel, modelId: string, contextSize: number): ParsedRequest {
  const body = common(raw, modelId);
  if (optionalBoolean(body, "echo") === true) throw new ApiError(400, "echo is not supported", { param: "echo", code: "unsupported_parameter" });
  const text = body.prompt;
  if (typeof text !== "string") throw badField("prompt", "prompt must be a string (arrays of prompts and token arrays are not supported)");
  const suffix = optionalString(body, "suffix");
  const maxTokens = optionalInt(body, "max_tokens", 1);
  const logprobs = optionalInt(body, "logprobs", 0, 5);
  if (suffix === undefined || suffix === "") {
    if (text === "") throw badField("prompt", "prompt is empty");
    return finish(body, model, contextSize, model.tokenize(text, { addBos: model.tokenizer.addBos }), "prompt", maxTokens, logprobs);
  }
  // A suffix asks for fill-in-the-middle: prompt and suffix go around CodeGemma's FIM markers (engine/fim.ts).
  const tok = model.tokenizer;
  let markers;
  try {
    markers = fimTokens(tok, model.info.metadata);
  } catch (e) {
    throw new ApiError(400, `suffix needs a fill-in-the-middle model: ${(e as Error).message}`, { param: "suffix", code: "unsupported_parameter" });
  }
  const r = finish(body, model, contextSize, fimPromptIds(tok, markers, text, suffix), "prompt", maxTokens, logprobs);
  return { ...r, options: { ...r.options, stopTokens: fimStopTokens(tok, markers) } };
}

/** Checks shared by both routes: an object body, the model name, n. */
function common(raw: unknown, modelId: string): Body {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ApiError(400, "the request body must be a JSON object");
  const body = raw as Body;
  const name = optionalString(body, "model");
  if (name !== undefined && name !== modelId) {
    throw new ApiError(404, `the model "${name}" does not exist; this server serves "${modelId}"`, { param: "model", code: "model_not_found" });
  }
  optionalInt(body, "n", 1, MAX_CHOICES);
  return body;
}

/** `promptParam`: the field the prompt came from, named when it does not fit the context. */
function finish(body: Body, model: GemmaModel, contextSize: number, prompt: readonly number[], promptParam: string, maxTokens: number | undefined, topLogprobs: number | undefined): ParsedRequest {
  if (prompt.length >= contextSize) {
    throw new ApiError(400, `the prompt has ${prompt.length} tokens; the context holds ${contextSize}`, { param: promptParam, code: "context_length_exceeded" });
  }
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && (typeof streamOptions !== "object" || Array.isArray(streamOptions))) {
    throw badField("stream_options", "stream_options must be an object");
  }
  const includeUsage = streamOptions ? optionalBoolean(streamOptions as Body, "include_usage", "stream_options.include_usage") : undefined;
  const temperature = optionalNumber(body, "temperature", 0, 2);
  const topP = optionalNumber(body, "top_p", 0, 1);
  // the sampler's seed is 32-bit: any integer is taken modulo 2^32
  const seed = optionalInt(body, "seed", Number.MIN_SAFE_INTEGER);
  return {
    prompt,
    n: optionalInt(body, "n", 1, MAX_CHOICES) ?? 1,
    toolAnswers: false,
    stream: optionalBoolean(body, "stream") ?? false,
    includeUsage: includeUsage ?? false,
    topLogprobs,
    options: {
      // the answer ends at the context's end: what is left of it caps the token limit
      maxTokens: Math.min(maxTokens ?? contextSize - prompt.length, contextSize - prompt.length),
      temperature,
      // top_p 0 keeps only the most likely token, as the smallest positive top_p does
      topP: topP === 0 ? Number.MIN_VALUE : topP,
      presencePenalty: optionalNumber(body, "presence_penalty", -2, 2),
      frequencyPenalty: optionalNumber(body, "frequency_penalty", -2, 2),
      seed: seed === undefined ? undefined : seed >>> 0,
      stop: stops(body.stop),
      logitBias: logitBias(body.logit_bias, model.tokenizer.vocabSize),
      logprobs: topLogprobs,
      jsonSchema: responseFormat(body.response_format),
    },
  };
}

/**
 * The messages: system (developer), user, assistant (with text content, or with tool_calls and content that may
 * be null) and tool (tool_call_id and text content).
 */
function chatMessages(value: unknown): ToolChatMessage[] {
  if (!Array.isArray(value)) throw badField("messages", "messages must be an array");
  if (value.length === 0) throw badField("messages", "messages is empty");
  return value.map((m: unknown, i) => {
    const param = `messages[${i}]`;
    if (typeof m !== "object" || m === null) throw badField(param, `${param} must be an object`);
    const { role, content, tool_calls: calls, tool_call_id: callId } = m as Body;
    if (role === "function" || (m as Body).function_call != null) {
      throw new ApiError(400, `${param}: function messages and function_call (OpenAI's deprecated function calling) are not supported: use tool_calls and role "tool"`, { param, code: "unsupported_parameter" });
    }
    if (role === "tool") {
      if (typeof callId !== "string") throw badField(`${param}.tool_call_id`, `${param}.tool_call_id must be a string: the id of the call this message answers`);
      return { role, toolCallId: callId, content: messageText(content, `${param}.content`) };
    }
    if (role !== "system" && role !== "developer" && role !== "user" && role !== "assistant") {
      throw badField(`${param}.role`, `${param}.role must be system, developer, user, assistant or tool, got ${JSON.stringify(role)}`);
    }
    if (role === "assistant" && calls !== undefined && calls !== null) {
      return { role, toolCalls: toolCalls(calls, `${param}.tool_calls`), content: content == null ? null : messageText(content, `${param}.content`) };
    }
    return { role: role === "developer" ? "system" : role, content: messageText(content, `${param}.content`) };
  });
}

/** A string, or an array of text parts joined (OpenAI joins them without a separator). */
function messageText(content: unknown, param: string): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw badField(param, `${param} must be a string or an array of text parts`);
  return content
    .map((part: unknown, i) => {
      const p = part as Body | null;
      if (typeof p !== "object" || p === null || p.type !== "text" || typeof p.text !== "string") {
        throw badField(`${param}[${i}]`, `${param}[${i}] must be {"type": "text", "text": string} (only text parts are supported)`);
      }
      return p.text;
    })
    .join("");
}

function stops(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((s) => typeof s !== "string" || s === "")) throw badField("stop", "stop must be a non-empty string or an array of them");
  if (list.length > MAX_STOPS) throw badField("stop", `stop takes at most ${MAX_STOPS} sequences`);
  return list as string[];
}

function logitBias(value: unknown, vocabSize: number): Record<number, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw badField("logit_bias", "logit_bias must be an object of token id -> bias");
  const bias: Record<number, number> = {};
  for (const [key, b] of Object.entries(value)) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || id >= vocabSize) throw badField("logit_bias", `logit_bias: ${JSON.stringify(key)} is not a token id below ${vocabSize}`);
    if (typeof b !== "number" || !(b >= -100 && b <= 100)) throw badField("logit_bias", `logit_bias: the bias of ${key} must be a number in -100..100`);
    bias[id] = b;
  }
  return bias;
}

/** json_object: any JSON object; json_schema: a document valid against json_schema.schema. */
function responseFormat(value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  const f = value as Body;
  if (typeof value !== "object" || Array.isArray(value)) throw badField("response_format", "response_format must be an object");
  if (f.type === "text") return undefined;
  if (f.type === "json_object") return { type: "object" };
  if (f.type === "json_schema") {
    const js = f.json_schema as Body | undefined;
    if (typeof js !== "object" || js === null || typeof js.schema !== "object" || js.schema === null) {
      throw badField("response_format.json_schema.schema", "response_format json_schema needs json_schema.schema, an object");
    }
    return js.schema;
  }
  throw badField("response_format.type", `response_format.type must be text, json_object or json_schema, got ${JSON.stringify(f.type)}`);
}

function optionalBoolean(body: Body, key: string, param = key): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw badField(param, `${param} must be a boolean`);
  return v;
}

function optionalString(body: Body, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw badField(key, `${key} must be a string`);
  return v;
}

function optionalNumber(body: Body, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !(v >= min && v <= max)) throw badField(key, `${key} must be a number in ${min}..${max}`);
  return v;
}

function optionalInt(body: Body, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw badField(key, `${key} must be an integer in ${min}..${max}`);
  return v;
}
