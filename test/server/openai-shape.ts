import assert from "node:assert/strict";

/**
 * A small checker of OpenAI API objects, written from OpenAI's API reference (platform.openai.com/docs/api-reference:
 * chat/object, chat/streaming, completions/object, models/list, error codes): each shape names the fields and
 * their JSON types; "?" after a type allows null.
 */
type Shape = string | { readonly [field: string]: Shape } | readonly [Shape];

export function assertShape(value: unknown, shape: Shape, path = "$"): void {
  if (typeof shape === "string") {
    const nullable = shape.endsWith("?");
    const type = nullable ? shape.slice(0, -1) : shape;
    if (nullable && value === null) return;
    if (type === "integer") assert.ok(Number.isInteger(value), `${path}: integer expected, got ${JSON.stringify(value)}`);
    else if (type === "any") return;
    else assert.equal(typeof value, type, `${path}: ${type} expected, got ${JSON.stringify(value)}`);
    return;
  }
  if (Array.isArray(shape)) {
    assert.ok(Array.isArray(value), `${path}: array expected`);
    (value as unknown[]).forEach((v, i) => assertShape(v, shape[0] as Shape, `${path}[${i}]`));
    return;
  }
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), `${path}: object expected`);
  for (const [k, s] of Object.entries(shape)) {
    assert.ok(k in (value as object), `${path}.${k} missing`);
    assertShape((value as Record<string, unknown>)[k], s as Shape, `${path}.${k}`);
  }
}

export const USAGE: Shape = { prompt_tokens: "integer", completion_tokens: "integer", total_tokens: "integer" };

const TOP_LOGPROB: Shape = { token: "string", logprob: "number", bytes: ["integer"] };
export const CHAT_LOGPROBS: Shape = { content: [{ ...TOP_LOGPROB, top_logprobs: [TOP_LOGPROB] }] };

export const CHAT_COMPLETION: Shape = {
  id: "string",
  object: "string",
  created: "integer",
  model: "string",
  choices: [{ index: "integer", message: { role: "string", content: "string?" }, logprobs: "any", finish_reason: "string" }],
  usage: USAGE,
};

export const CHAT_CHUNK: Shape = {
  id: "string",
  object: "string",
  created: "integer",
  model: "string",
  choices: [{ index: "integer", delta: {}, logprobs: "any", finish_reason: "string?" }],
};

export const TEXT_COMPLETION: Shape = {
  id: "string",
  object: "string",
  created: "integer",
  model: "string",
  choices: [{ index: "integer", text: "string", logprobs: "any", finish_reason: "string?" }],
};

export const COMPLETION_LOGPROBS: Shape = { tokens: ["string"], token_logprobs: ["number"], top_logprobs: ["any"], text_offset: ["integer"] };

export const MODEL_LIST: Shape = { object: "string", data: [{ id: "string", object: "string", created: "integer", owned_by: "string" }] };

export const ERROR: Shape = { error: { message: "string", type: "string", param: "string?", code: "string?" } };
