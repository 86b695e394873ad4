import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createApp } from "../../src/server/app.js";
import { listen, type ListeningServer } from "../../src/server/node-adapter.js";
import { loadTiny } from "../api/tiny.js";

/*
 * A table of bad requests against the server on loopback (the tiny random-weight model, context 512): each gets
 * its HTTP status and an error object of OpenAI's shape, { error: { message, type, param, code } }, whose type
 * follows the status as OpenAI's and llama.cpp's servers name them (ggml-org/llama.cpp:tools/server/server-common.cpp,
 * format_error_response): 400 invalid_request_error, 401 authentication_error, 404 not_found_error. Every
 * request must be answered (none hangs, none is a 5xx), one after another and all at once, and the server
 * answers a good request afterwards.
 */

const KEY = "table-key";
const CONTEXT = 512;
/** The largest body the server reads (its default). */
const MAX_BODY = 4 * 1024 * 1024;
/** A request that hangs fails the test instead of the suite. */
const ANSWER_WITHIN_MS = 60_000;

let open: ListeningServer;
let keyed: ListeningServer;

before(async () => {
  const model = await loadTiny({ contextSize: CONTEXT });
  const openApp = createApp({ model, modelId: "tiny", parallel: 1 });
  const keyedApp = createApp({ model, modelId: "tiny", parallel: 1, apiKey: KEY });
  open = await listen((r) => openApp.handle(r), "127.0.0.1", 0);
  keyed = await listen((r) => keyedApp.handle(r), "127.0.0.1", 0);
});

after(async () => {
  await open?.close();
  await keyed?.close();
});

interface BadRequest {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  /** JSON-encoded unless a string, bytes, or a function making a fresh stream. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent to the server that wants an API key (with the headers given, and no key unless they hold one). */
  readonly keyed?: boolean;
  readonly status: number;
  /** The expected error.code; undefined: not checked. */
  readonly code?: string | null;
  /** The expected error.param; undefined: not checked. */
  readonly param?: string | null;
}

const CHAT = "/v1/chat/completions";
const COMPLETIONS = "/v1/completions";
const user = [{ role: "user", content: "Hi" }];
const chat = (fields: Record<string, unknown>) => ({ messages: user, max_tokens: 2, ...fields });
const completion = (fields: Record<string, unknown>) => ({ prompt: "Hi", max_tokens: 2, ...fields });
const field = (name: string, param: string, body: unknown, path = CHAT): BadRequest => ({ name, path, body, status: 400, code: "invalid_value", param });
const tool = (name: string, parameters: unknown = { type: "object" }) => ({ type: "function", function: { name, parameters } });
/** An assistant turn that called a tool with the id `id`. */
const called = (id: string) => ({ role: "assistant", content: null, tool_calls: [{ id, type: "function", function: { name: "f", arguments: "{}" } }] });

/** A body stream of `bytes` bytes with no declared length: the size cap must hold while the body is read. */
const chunkedBody = (bytes: number) => () =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let sent = 0; sent < bytes; sent += 1 << 20) c.enqueue(new Uint8Array(Math.min(1 << 20, bytes - sent)).fill(32));
      c.close();
    },
  });

const TABLE: readonly BadRequest[] = [
  // the body is not a JSON object
  { name: "malformed JSON", path: CHAT, body: "{not json", status: 400, code: "invalid_json", param: null },
  { name: "malformed JSON (completions)", path: COMPLETIONS, body: '{"prompt": "a",}', status: 400, code: "invalid_json" },
  { name: "empty body", path: CHAT, body: "", status: 400, code: "invalid_json" },
  { name: "a body that is not UTF-8", path: CHAT, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), status: 400, code: "invalid_json" },
  { name: "JSON null", path: CHAT, body: "null", status: 400, param: null },
  { name: "a JSON array", path: CHAT, body: [user], status: 400, param: null },
  { name: "a JSON string", path: COMPLETIONS, body: '"Hi"', status: 400, param: null },
  // messages
  field("messages missing", "messages", { max_tokens: 2 }),
  field("messages empty", "messages", { messages: [] }),
  field("messages a string", "messages", { messages: "Hi" }),
  field("a message that is null", "messages[0]", { messages: [null] }),
  field("a message without a role", "messages[0].role", { messages: [{ content: "Hi" }] }),
  field("an unknown role", "messages[0].role", { messages: [{ role: "critic", content: "Hi" }] }),
  field("content a number", "messages[0].content", { messages: [{ role: "user", content: 5 }] }),
  field("content missing", "messages[0].content", { messages: [{ role: "user" }] }),
  field("an image part", "messages[0].content[0]", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] }] }),
  field("turns out of order", "messages", { messages: [{ role: "assistant", content: "Hi" }] }),
  field("no user turn at the end", "messages", { messages: [...user, { role: "assistant", content: "Hello" }] }),
  // wrong types and values of the sampling fields
  field("stream a string", "stream", chat({ stream: "yes" })),
  field("max_tokens zero", "max_tokens", chat({ max_tokens: 0 })),
  field("max_tokens fractional", "max_tokens", chat({ max_tokens: 1.5 })),
  field("max_tokens a string", "max_tokens", chat({ max_tokens: "2" })),
  field("max_completion_tokens negative", "max_completion_tokens", chat({ max_completion_tokens: -1 })),
  field("temperature a string", "temperature", chat({ temperature: "hot" })),
  field("temperature below 0", "temperature", chat({ temperature: -0.1 })),
  field("temperature above 2", "temperature", chat({ temperature: 2.5 })),
  field("top_p above 1", "top_p", chat({ top_p: 1.5 })),
  field("presence_penalty above 2", "presence_penalty", chat({ presence_penalty: 3 })),
  field("frequency_penalty below -2", "frequency_penalty", chat({ frequency_penalty: -3 })),
  field("seed fractional", "seed", chat({ seed: 1.5 })),
  field("n over OpenAI's 128", "n", chat({ n: 129 })),
  field("n over the server's parallel sequences", "n", chat({ n: 64 })),
  field("n of 0", "n", chat({ n: 0 })),
  field("stop a number", "stop", chat({ stop: 7 })),
  field("stop an empty string", "stop", chat({ stop: [""] })),
  field("five stop strings", "stop", chat({ stop: ["a", "b", "c", "d", "e"] })),
  field("logit_bias keyed by a word", "logit_bias", chat({ logit_bias: { hello: 1 } })),
  field("logit_bias above 100", "logit_bias", chat({ logit_bias: { "5": 200 } })),
  field("logit_bias an array", "logit_bias", chat({ logit_bias: [1] })),
  field("logprobs a string", "logprobs", chat({ logprobs: "yes" })),
  field("top_logprobs above 20", "top_logprobs", chat({ logprobs: true, top_logprobs: 21 })),
  field("top_logprobs without logprobs", "top_logprobs", chat({ top_logprobs: 2 })),
  field("stream_options a string", "stream_options", chat({ stream: true, stream_options: "usage" })),
  field("include_usage a string", "stream_options.include_usage", chat({ stream: true, stream_options: { include_usage: "yes" } })),
  field("response_format a string", "response_format", chat({ response_format: "json" })),
  field("response_format of an unknown type", "response_format.type", chat({ response_format: { type: "yaml" } })),
  field("json_schema without a schema", "response_format.json_schema.schema", chat({ response_format: { type: "json_schema", json_schema: { name: "x" } } })),
  { name: "a schema keyword the grammar lacks", path: CHAT, body: chat({ response_format: { type: "json_schema", json_schema: { name: "x", schema: { not: { type: "string" } } } } }), status: 400 },
  field("model a number", "model", chat({ model: 5 })),
  { name: "an unknown model", path: CHAT, body: chat({ model: "gpt-4o" }), status: 404, code: "model_not_found", param: "model" },
  { name: "an unknown model (completions)", path: COMPLETIONS, body: completion({ model: "gpt-4o" }), status: 404, code: "model_not_found", param: "model" },
  // tools
  field("tools an object", "tools", chat({ tools: { type: "function", function: { name: "f" } } })),
  field("a tool without type function", "tools[0].type", chat({ tools: [{ type: "retrieval", function: { name: "f" } }] })),
  field("a tool without its function", "tools[0].function", chat({ tools: [{ type: "function" }] })),
  field("a tool without a name", "tools[0].function.name", chat({ tools: [{ type: "function", function: { parameters: { type: "object" } } }] })),
  field("a tool name with a space", "tools[0].function.name", chat({ tools: [tool("get weather")] })),
  field("a tool name of 65 characters", "tools[0].function.name", chat({ tools: [tool("f".repeat(65))] })),
  field("two tools of one name", "tools[1].function.name", chat({ tools: [tool("f"), tool("f")] })),
  field("a description that is a number", "tools[0].function.description", chat({ tools: [{ type: "function", function: { name: "f", description: 5 } }] })),
  field("parameters a string", "tools[0].function.parameters", chat({ tools: [tool("f", "object")] })),
  field("parameters with a keyword the grammar lacks", "tools[0].function.parameters", chat({ tools: [tool("f", { type: "object", properties: { x: { not: {} } } })] })),
  field("parameters with a reference that does not resolve", "tools[1].function.parameters", chat({ tools: [tool("f"), tool("g", { $ref: "#/$defs/none" })] })),
  field("tool_choice naming an unknown function", "tool_choice", chat({ tools: [tool("f")], tool_choice: { type: "function", function: { name: "g" } } })),
  field("tool_choice an unknown word", "tool_choice", chat({ tools: [tool("f")], tool_choice: "always" })),
  field("tool_choice without tools", "tool_choice", chat({ tool_choice: "auto" })),
  field("tool_choice required with no tools", "tool_choice", chat({ tools: [], tool_choice: "required" })),
  field("parallel_tool_calls a string", "parallel_tool_calls", chat({ tools: [tool("f")], parallel_tool_calls: "yes" })),
  field("response_format together with tools", "response_format", chat({ tools: [tool("f")], response_format: { type: "json_object" } })),
  { name: "logprobs together with tools", path: CHAT, body: chat({ tools: [tool("f")], logprobs: true }), status: 400, code: "unsupported_parameter", param: "logprobs" },
  { name: "functions (deprecated)", path: CHAT, body: chat({ functions: [{ name: "f" }] }), status: 400, code: "unsupported_parameter", param: "functions" },
  { name: "function_call (deprecated)", path: CHAT, body: chat({ function_call: "auto" }), status: 400, code: "unsupported_parameter", param: "function_call" },
  { name: "a function message (deprecated)", path: CHAT, body: { messages: [...user, { role: "function", name: "f", content: "1" }] }, status: 400, code: "unsupported_parameter", param: "messages[1]" },
  // tool turns
  field("a tool message without tool_call_id", "messages[2].tool_call_id", { messages: [...user, called("c1"), { role: "tool", content: "1" }] }),
  field("a tool_call_id no earlier call has", "messages[2].tool_call_id", { messages: [...user, called("c1"), { role: "tool", tool_call_id: "c2", content: "1" }] }),
  field("a tool result before its call", "messages[1].tool_call_id", { messages: [...user, { role: "tool", tool_call_id: "c1", content: "1" }, called("c1")] }),
  field("tool_calls an object", "messages[1].tool_calls", { messages: [...user, { role: "assistant", content: null, tool_calls: { id: "c1" } }] }),
  field("a tool call without an id", "messages[1].tool_calls[0].id", { messages: [...user, { role: "assistant", tool_calls: [{ type: "function", function: { name: "f", arguments: "{}" } }] }] }),
  field("a tool call's arguments an object", "messages[1].tool_calls[0].function.arguments", { messages: [...user, { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: {} } }] }] }),
  field("a tool call's arguments not JSON", "messages[1].tool_calls[0].function.arguments", { messages: [...user, { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{x" } }] }] }),
  field("a tool message whose content is a number", "messages[2].content", { messages: [...user, called("c1"), { role: "tool", tool_call_id: "c1", content: 1 }] }),
  // completions
  field("prompt missing", "prompt", { max_tokens: 2 }, COMPLETIONS),
  field("prompt empty", "prompt", completion({ prompt: "" }), COMPLETIONS),
  field("prompt a token array", "prompt", completion({ prompt: [1, 2, 3] }), COMPLETIONS),
  field("logprobs above 5", "logprobs", completion({ logprobs: 6 }), COMPLETIONS),
  { name: "suffix", path: COMPLETIONS, body: completion({ suffix: "}" }), status: 400, code: "unsupported_parameter", param: "suffix" },
  { name: "echo", path: COMPLETIONS, body: completion({ echo: true }), status: 400, code: "unsupported_parameter", param: "echo" },
  // sizes
  { name: "a prompt longer than the context", path: CHAT, body: { messages: [{ role: "user", content: "word ".repeat(CONTEXT + 10) }] }, status: 400, code: "context_length_exceeded", param: "messages" },
  { name: "a prompt longer than the context (completions)", path: COMPLETIONS, body: { prompt: "word ".repeat(CONTEXT + 10) }, status: 400, code: "context_length_exceeded", param: "prompt" },
  { name: "an oversized body", path: CHAT, body: JSON.stringify({ messages: user, pad: "x".repeat(MAX_BODY) }), status: 413, code: "request_too_large" },
  { name: "an oversized body without a length", path: COMPLETIONS, body: chunkedBody(MAX_BODY + 1), status: 413, code: "request_too_large" },
  // routes and methods
  { name: "an unknown /v1 route", method: "GET", path: "/v1/nothing", status: 404, code: "not_found" },
  { name: "an unknown route", method: "POST", path: "/v2/chat/completions", body: chat({}), status: 404, code: "not_found" },
  { name: "GET on chat completions", method: "GET", path: CHAT, status: 405, code: "method_not_allowed" },
  { name: "PUT on completions", method: "PUT", path: COMPLETIONS, body: completion({}), status: 405, code: "method_not_allowed" },
  { name: "DELETE on models", method: "DELETE", path: "/v1/models", status: 405, code: "method_not_allowed" },
  { name: "POST on health", method: "POST", path: "/health", body: {}, status: 405, code: "method_not_allowed" },
  { name: "POST on the chat page", method: "POST", path: "/", body: {}, status: 405, code: "method_not_allowed" },
];

/** Every /v1 route with a request that would otherwise be served. */
const V1_ROUTES: ReadonlyArray<{ method: string; path: string; body?: unknown }> = [
  { method: "POST", path: CHAT, body: chat({}) },
  { method: "POST", path: COMPLETIONS, body: completion({}) },
  { method: "GET", path: "/v1/models" },
  { method: "POST", path: "/v1/embeddings", body: { input: "Hi" } },
];

const AUTH_ROWS: readonly BadRequest[] = V1_ROUTES.flatMap(({ method, path, body }) => {
  const row = (name: string, headers: Record<string, string>): BadRequest => ({ name: `${name}: ${method} ${path}`, method, path, body, headers, keyed: true, status: 401, code: "invalid_api_key" });
  return [
    row("no API key", {}),
    row("a wrong API key", { authorization: "Bearer wrong-key" }),
    row("the key with a character more", { authorization: `Bearer ${KEY}x` }),
    row("the key less its last character", { authorization: `Bearer ${KEY.slice(0, -1)}` }),
    row("the key under another scheme", { authorization: `Basic ${KEY}` }),
    row("an empty bearer token", { authorization: "Bearer " }),
  ];
});

/** The right key passes the check; the request is then judged on its own. */
const KEYED_ROWS: readonly BadRequest[] = [
  { name: "the right key, malformed JSON", path: CHAT, body: "{", headers: { authorization: `Bearer ${KEY}` }, keyed: true, status: 400, code: "invalid_json" },
  { name: "the right key, an unknown model", path: COMPLETIONS, body: completion({ model: "x" }), headers: { authorization: `Bearer ${KEY}` }, keyed: true, status: 404, code: "model_not_found" },
];

const ALL = [...TABLE, ...AUTH_ROWS, ...KEYED_ROWS];

function send(r: BadRequest): Promise<Response> {
  const method = r.method ?? "POST";
  const raw = r.body;
  const body = raw === undefined ? undefined : typeof raw === "string" || raw instanceof Uint8Array ? raw : typeof raw === "function" ? (raw as () => ReadableStream)() : JSON.stringify(raw);
  const init = { method, headers: { "content-type": "application/json", ...r.headers }, body, signal: AbortSignal.timeout(ANSWER_WITHIN_MS), duplex: "half" };
  return fetch((r.keyed ? keyed : open).url + r.path, init as RequestInit);
}

/** OpenAI's and llama.cpp's names of an error's type by status (4xx without a name of their own are invalid requests). */
function typeOf(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 404) return "not_found_error";
  return "invalid_request_error";
}

async function check(r: BadRequest, res: Response): Promise<void> {
  const what = `${r.name}: ${res.status}`;
  assert.equal(res.status, r.status, what);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/, what);
  const body = (await res.json()) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ["error"], what);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"], what);
  const { message, type, param, code } = body.error;
  assert.ok(typeof message === "string" && message.length > 0, what);
  assert.equal(type, typeOf(r.status), what);
  assert.ok(param === null || typeof param === "string", what);
  assert.ok(code === null || typeof code === "string", what);
  if (r.code !== undefined) assert.equal(code, r.code, what);
  if (r.param !== undefined) assert.equal(param, r.param, what);
}

async function serverAnswers(): Promise<void> {
  for (const s of [open, keyed]) {
    assert.equal((await fetch(s.url + "/health")).status, 200);
    const res = await fetch(s.url + CHAT, { method: "POST", headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify(chat({})) });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    assert.equal(typeof body.choices[0]!.message.content, "string");
    assert.ok(body.usage.completion_tokens >= 1 && body.usage.completion_tokens <= 2);
  }
}

test("each bad request, one after another, gets its status and an OpenAI error object", async () => {
  for (const r of ALL) await check(r, await send(r));
  await serverAnswers();
});

test("all the bad requests at once: each still gets its answer, and the server serves afterwards", async () => {
  const answers = await Promise.all(ALL.map(async (r) => [r, await send(r)] as const));
  for (const [r, res] of answers) await check(r, res);
  await serverAnswers();
});

test("without a key, the open parts of a keyed server stay open: health, metrics, the chat page", async () => {
  for (const path of ["/health", "/metrics", "/"]) assert.equal((await fetch(keyed.url + path)).status, 200, path);
});
