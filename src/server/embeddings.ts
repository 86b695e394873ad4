import type { GemmaModel } from "../api/model.js";
import { isGemmaError } from "../util/errors.js";
import { ApiError, badField } from "./api-error.js";

/** A validated POST /v1/embeddings request. */
export interface EmbeddingRequest {
  /** Texts, or token ids used as they are. */
  readonly inputs: readonly (string | readonly number[])[];
  readonly base64: boolean;
  /** Leading components kept (then normalized), as OpenAI's `dimensions`; undefined: all (see EmbedOptions). */
  readonly dimensions: number | undefined;
}

type Body = Record<string, unknown>;

/** OpenAI's limit on inputs per request. */
const MAX_INPUTS = 2048;

/**
 * OpenAI's embeddings request: `input` a string, an array of strings, an array of token ids or an array of such
 * arrays; `encoding_format` "float" (default) or "base64"; `dimensions`; `model` (this server's id, or absent).
 */
export function parseEmbeddingRequest(raw: unknown, model: GemmaModel, modelId: string): EmbeddingRequest {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new ApiError(400, "the request body must be a JSON object");
  const body = raw as Body;
  if (body.model !== undefined && body.model !== null && body.model !== modelId) {
    throw new ApiError(404, `the model ${JSON.stringify(body.model)} does not exist; this server serves "${modelId}"`, { param: "model", code: "model_not_found" });
  }
  if (!model.isEmbeddingModel) {
    throw new ApiError(400, `the model "${modelId}" does not produce embeddings (it has no pooling); /v1/embeddings needs an embedding model such as EmbeddingGemma`, {
      param: "model",
      code: "model_not_embedding",
    });
  }
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") throw badField("encoding_format", `encoding_format must be "float" or "base64", got ${JSON.stringify(format)}`);
  const dims = body.dimensions;
  if (dims !== undefined && dims !== null && !(typeof dims === "number" && Number.isInteger(dims) && dims >= 1)) {
    throw badField("dimensions", "dimensions must be a positive integer");
  }
  return { inputs: inputs(body.input, model.tokenizer.vocabSize), base64: format === "base64", dimensions: typeof dims === "number" ? dims : undefined };
}

function inputs(value: unknown, vocabSize: number): (string | number[])[] {
  const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === "number");
  const list = typeof value === "string" || isIds(value) ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw badField("input", "input must be a non-empty string, an array of strings, an array of token ids, or an array of such arrays");
  }
  if (list.length > MAX_INPUTS) throw badField("input", `input has ${list.length} entries; at most ${MAX_INPUTS}`);
  return list.map((item: unknown, i) => {
    const param = `input[${i}]`;
    if (typeof item === "string") {
      if (item === "") throw badField(param, `${param} is an empty string`);
      return item;
    }
    if (!isIds(item)) throw badField(param, `${param} must be a non-empty string or a non-empty array of token ids`);
    const bad = item.find((t) => !Number.isInteger(t) || t < 0 || t >= vocabSize);
    if (bad !== undefined) throw badField(param, `${param} holds ${bad}, not a token id below ${vocabSize}`);
    return item;
  });
}

/** The embeddings in OpenAI's list shape, with the prompt tokens counted in usage. */
export function embeddingsResponse(raw: unknown, model: GemmaModel, modelId: string): Response {
  const req = parseEmbeddingRequest(raw, model, modelId);
  let promptTokens = 0;
  const data = req.inputs.map((input, index) => {
    const ids = typeof input === "string" ? model.embeddingTokens(input) : input;
    promptTokens += ids.length;
    let vector: Float32Array;
    try {
      vector = model.embed(ids, { dimensions: req.dimensions });
    } catch (e) {
      if (isGemmaError(e) && e.code === "CONTEXT_OVERFLOW") throw new ApiError(400, `input[${index}]: ${e.message}`, { param: "input", code: "context_length_exceeded" });
      throw e;
    }
    return { object: "embedding", index, embedding: req.base64 ? base64(vector) : [...vector] };
  });
  return Response.json({ object: "list", data, model: modelId, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

/** Little-endian float32 bytes in base64, as OpenAI's encoding_format "base64". */
function base64(v: Float32Array): string {
  const bytes = new Uint8Array(v.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < v.length; i++) view.setFloat32(i * 4, v[i]!, true);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
