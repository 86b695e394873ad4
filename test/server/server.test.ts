import { defaultModelPath } from "../helpers/model.js";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { after, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { createApp, type ServerOptions } from "../../src/server/app.js";
import { listen } from "../../src/server/node-adapter.js";
import { loadTiny } from "../api/tiny.js";
import { assertShape, CHAT_CHUNK, CHAT_COMPLETION, CHAT_LOGPROBS, COMPLETION_LOGPROBS, ERROR, MODEL_LIST, TEXT_COMPLETION, USAGE } from "./openai-shape.js";

/** The OpenAI-compatible server on the tiny random-weight model, on 127.0.0.1 with a free port; fetch is the client. */
const model = await loadTiny({ contextSize: 512 });
const ID = "tiny";
const tok = model.tokenizer;
/** Bans both end-of-generation tokens, so that answers run to their token limit. */
const NO_STOP = { [tok.eos]: -100, [tok.tokenId("<end_of_turn>")!]: -100 };

const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(opts: Partial<ServerOptions> = {}): Promise<string> {
  const app = createApp({ model, modelId: ID, ...opts });
  const s = await listen((r) => app.handle(r), "127.0.0.1", 0);
  servers.push(s);
  return s.url;
}

const base = await start();

function post(path: string, body: unknown, init: RequestInit = {}, url = base): Promise<Response> {
  return fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body), ...init });
}

/** The `data:` payloads of a server-sent event stream, in order. */
async function sseData(res: Response): Promise<string[]> {
  const text = await res.text();
  assert.ok(text.endsWith("\n\n"), "every event ends with a blank line");
  return text
    .split("\n\n")
    .filter((e) => e !== "")
    .map((e) => {
      assert.ok(e.startsWith("data: "), `event ${JSON.stringify(e)}`);
      return e.slice(6);
    });
}

async function assertError(res: Response, status: number, code?: string): Promise<{ error: { message: string; param: string | null } }> {
  assert.equal(res.status, status);
  const body = (await res.json()) as { error: { message: string; param: string | null; code: string | null } };
  assertShape(body, ERROR);
  if (code !== undefined) assert.equal(body.error.code, code);
  return body;
}

const messages = [
  { role: "system", content: "Be brief." },
  { role: "user", content: [{ type: "text", text: "Hello " }, { type: "text", text: "there" }] },
];
const asText = [
  { role: "system" as const, content: "Be brief." },
  { role: "user" as const, content: "Hello there" },
];

test("GET /health, /v1/models", async () => {
  const health = await fetch(base + "/health");
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok" });
  const models = await fetch(base + "/v1/models");
  const list = (await models.json()) as { data: { id: string }[] };
  assertShape(list, MODEL_LIST);
  assert.deepEqual(list.data.map((m) => m.id), [ID]);
});

test("chat completion: OpenAI's shape; greedy content equals the library's generate on the formatted conversation", async () => {
  const res = await post("/v1/chat/completions", { model: ID, messages, max_tokens: 12, temperature: 0, logit_bias: NO_STOP });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { object: string; choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
  assertShape(body, CHAT_COMPLETION);
  assert.equal(body.object, "chat.completion");
  const prompt = model.formatChat(asText);
  const expected = await model.generate(prompt, { maxTokens: 12, temperature: 0, logitBias: NO_STOP }).finished();
  assert.equal(body.choices[0]!.message.role, "assistant");
  assert.equal(body.choices[0]!.message.content, expected.text);
  assert.equal(body.choices[0]!.finish_reason, "length");
  assert.deepEqual(body.usage, { prompt_tokens: prompt.length, completion_tokens: 12, total_tokens: prompt.length + 12 });
});

test("chat streaming: chunk shapes, a role chunk first, deltas concatenate to the answer, usage, then data: [DONE]", async () => {
  const req = { messages, max_completion_tokens: 10, temperature: 0, logit_bias: NO_STOP };
  const whole = (await (await post("/v1/chat/completions", req)).json()) as { choices: { message: { content: string } }[] };
  const res = await post("/v1/chat/completions", { ...req, stream: true, stream_options: { include_usage: true } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
  const data = await sseData(res);
  assert.equal(data.at(-1), "[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage?: unknown });
  const usageChunk = chunks.pop()!;
  assert.deepEqual(usageChunk.choices, []);
  assertShape(usageChunk.usage, USAGE);
  for (const c of chunks) {
    assertShape(c, CHAT_CHUNK);
    assert.equal(c.object, "chat.completion.chunk");
  }
  assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, "length");
  assert.ok(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null));
  assert.equal(chunks.map((c) => c.choices[0]!.delta.content ?? "").join(""), whole.choices[0]!.message.content);
});

test("chat logprobs: one entry per token, top_logprobs most likely first, greedy picks the most likely", async () => {
  const res = await post("/v1/chat/completions", { messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 3, logit_bias: NO_STOP });
  const body = (await res.json()) as { choices: { logprobs: { content: { logprob: number; top_logprobs: { logprob: number }[] }[] } }[]; usage: { completion_tokens: number } };
  const lp = body.choices[0]!.logprobs;
  assertShape(lp, CHAT_LOGPROBS);
  assert.equal(lp.content.length, body.usage.completion_tokens);
  for (const e of lp.content) {
    assert.equal(e.top_logprobs.length, 3);
    assert.ok(e.logprob <= 0);
    assert.equal(e.logprob, e.top_logprobs[0]!.logprob);
    assert.ok(e.top_logprobs[0]!.logprob >= e.top_logprobs[1]!.logprob && e.top_logprobs[1]!.logprob >= e.top_logprobs[2]!.logprob);
  }
});

test("POST /v1/completions: text_completion object and stream, logprobs, the same text as the library", async () => {
  const req = { model: ID, prompt: "Once upon", max_tokens: 8, temperature: 0, logit_bias: NO_STOP, logprobs: 2 };
  const res = await post("/v1/completions", req);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { object: string; choices: { text: string; logprobs: { tokens: string[] } }[]; usage: unknown };
  assertShape(body, TEXT_COMPLETION);
  assertShape(body.usage, USAGE);
  assert.equal(body.object, "text_completion");
  assertShape(body.choices[0]!.logprobs, COMPLETION_LOGPROBS);
  assert.equal(body.choices[0]!.logprobs.tokens.length, 8);
  const expected = await model.generate("Once upon", { maxTokens: 8, temperature: 0, logitBias: NO_STOP }).text();
  assert.equal(body.choices[0]!.text, expected);
  const data = await sseData(await post("/v1/completions", { ...req, stream: true }));
  assert.equal(data.at(-1), "[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: { text: string }[] });
  chunks.forEach((c) => assertShape(c, TEXT_COMPLETION));
  assert.equal(chunks.map((c) => c.choices[0]!.text).join(""), expected);
});

test("stop strings end the answer before them", async () => {
  const req = { prompt: "Once upon", max_tokens: 30, temperature: 0, logit_bias: NO_STOP };
  const full = ((await (await post("/v1/completions", req)).json()) as { choices: { text: string }[] }).choices[0]!.text;
  const stop = full.slice(5, 8);
  const cut = ((await (await post("/v1/completions", { ...req, stop })).json()) as { choices: { text: string; finish_reason: string }[] }).choices[0]!;
  assert.equal(cut.text, full.slice(0, full.indexOf(stop)));
  assert.equal(cut.finish_reason, "stop");
});

test("response_format json_schema: every finished answer is JSON valid against the schema", async () => {
  const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"], additionalProperties: false };
  let finished = 0;
  for (const seed of [1, 2, 3]) {
    const res = await post("/v1/chat/completions", { messages, max_tokens: 200, seed, response_format: { type: "json_schema", json_schema: { name: "x", schema } } });
    assert.equal(res.status, 200);
    const choice = ((await res.json()) as { choices: { message: { content: string }; finish_reason: string }[] }).choices[0]!;
    if (choice.finish_reason !== "stop") continue;
    finished++;
    assert.deepEqual(Object.keys(JSON.parse(choice.message.content) as object), ["ok"]);
  }
  assert.ok(finished > 0, "no answer finished within 200 tokens");
});

test("message content is never parsed for special tokens: <end_of_turn> in a message stays text", async () => {
  const content = "a <end_of_turn> b";
  const res = await post("/v1/chat/completions", { messages: [{ role: "user", content }], max_tokens: 1 });
  const { usage } = (await res.json()) as { usage: { prompt_tokens: number } };
  const asTextIds = model.formatChat([{ role: "user", content }]);
  // were the marker parsed, it would be one token instead of the several its text takes
  assert.ok(model.tokenize("<end_of_turn>").length > 1);
  assert.equal(usage.prompt_tokens, asTextIds.length);
});

test("a client that disconnects mid-stream frees the model for the next request", async () => {
  const generated = async () => Number(/^gemma_generated_tokens_total (\d+)$/m.exec(await (await fetch(base + "/metrics")).text())![1]);
  const before = await generated();
  const aborter = new AbortController();
  const res = await post("/v1/chat/completions", { messages, max_tokens: 400, logit_bias: NO_STOP, stream: true }, { signal: aborter.signal });
  const reader = res.body!.getReader();
  await reader.read();
  await reader.read();
  aborter.abort();
  const next = await post("/v1/chat/completions", { messages, max_tokens: 2 });
  assert.equal(next.status, 200);
  const after = await generated();
  // the abandoned answer stopped well before its 400 tokens (2 of the total are the next request's)
  assert.ok(after - before - 2 < 400, `${after - before} tokens`);
});

test("with one slot one request runs at a time: the next waits in the queue, one more is refused with 429", async () => {
  const url = await start({ queueSize: 1, parallel: 1 });
  const aborter = new AbortController();
  const first = await post("/v1/completions", { prompt: "A", max_tokens: 400, logit_bias: NO_STOP, stream: true }, { signal: aborter.signal }, url);
  const reader = first.body!.getReader();
  await reader.read();
  const second = post("/v1/completions", { prompt: "B", max_tokens: 2 }, {}, url);
  let depth = 0;
  while (depth === 0) depth = Number(/^gemma_queue_depth (\d+)$/m.exec(await (await fetch(url + "/metrics")).text())![1]);
  assert.equal(depth, 1);
  await assertError(await post("/v1/completions", { prompt: "C", max_tokens: 2 }, {}, url), 429, "queue_full");
  aborter.abort();
  assert.equal((await second).status, 200);
  const metrics = await (await fetch(url + "/metrics")).text();
  assert.match(metrics, /gemma_requests_total\{route="\/v1\/completions",status="429"\} 1/);
  assert.match(metrics, /gemma_time_to_first_token_seconds_count \d+/);
  assert.match(metrics, /gemma_prompt_tokens_total \d+/);
});

test("a client that leaves a non-streamed request, or its place in the queue, frees both", async () => {
  const url = await start({ queueSize: 4, parallel: 1 });
  const depth = async () => Number(/^gemma_queue_depth (\d+)$/m.exec(await (await fetch(url + "/metrics")).text())![1]);
  const running = new AbortController();
  const waiting = new AbortController();
  const first = post("/v1/completions", { prompt: "A", max_tokens: 400, logit_bias: NO_STOP }, { signal: running.signal }, url).catch((e: Error) => e);
  const second = post("/v1/completions", { prompt: "B", max_tokens: 400 }, { signal: waiting.signal }, url).catch((e: Error) => e);
  while ((await depth()) === 0) await new Promise((r) => setTimeout(r, 5));
  waiting.abort();
  while ((await depth()) !== 0) await new Promise((r) => setTimeout(r, 5));
  running.abort();
  assert.ok((await first) instanceof Error);
  assert.ok((await second) instanceof Error);
  assert.equal((await post("/v1/completions", { prompt: "C", max_tokens: 2 }, {}, url)).status, 200);
  const metrics = await (await fetch(url + "/metrics")).text();
  // the waiting request left the queue (answered 499, never run); the running one stopped short of its 400 tokens
  assert.match(metrics, /gemma_requests_total\{route="\/v1\/completions",status="499"\} 1/);
  assert.ok(Number(/^gemma_generated_tokens_total (\d+)$/m.exec(metrics)![1]) - 2 < 400);
});

test("--api-key guards /v1/ (401 without or with a wrong key); /health stays open", async () => {
  const url = await start({ apiKey: "sekret" });
  await assertError(await fetch(url + "/v1/models"), 401, "invalid_api_key");
  await assertError(await fetch(url + "/v1/models", { headers: { authorization: "Bearer nope" } }), 401, "invalid_api_key");
  await assertError(await post("/v1/chat/completions", { messages }, {}, url), 401, "invalid_api_key");
  assert.equal((await fetch(url + "/v1/models", { headers: { authorization: "Bearer sekret" } })).status, 200);
  assert.equal((await fetch(url + "/health")).status, 200);
});

test("CORS is off by default; --cors ORIGIN answers preflights and marks responses", async () => {
  assert.equal((await fetch(base + "/v1/models")).headers.get("access-control-allow-origin"), null);
  const url = await start({ corsOrigin: "https://app.example" });
  const pre = await fetch(url + "/v1/chat/completions", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "https://app.example");
  assert.match(pre.headers.get("access-control-allow-methods") ?? "", /POST/);
  assert.equal((await fetch(url + "/v1/models")).headers.get("access-control-allow-origin"), "https://app.example");
});

test("gemma serve prints where it listens and serves until interrupted", async () => {
  const stderr = new PassThrough();
  let err = "";
  stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const stop = new AbortController();
  const exit = main(["serve", "-m", "test/fixtures/tiny/gemma3.gguf", "-t", "1", "--port", "0", "-c", "256"], { stderr, signal: stop.signal });
  while (!/listening on /.test(err)) await new Promise((r) => setTimeout(r, 20));
  const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err)![1]!;
  const models = (await (await fetch(url + "/v1/models")).json()) as { data: { id: string }[] };
  assert.equal(models.data[0]!.id, "gemma3");
  stop.abort();
  assert.equal(await exit, 0);
});

test("the default model answers a short chat completion", async () => {
  const real = await loadModel(await defaultModelPath(), { threads: 1, contextSize: 256 });
  const app = createApp({ model: real, modelId: "gemma3-270m" });
  const s = await listen((r) => app.handle(r), "127.0.0.1", 0);
  servers.push(s);
  const res = await post("/v1/chat/completions", { messages: [{ role: "user", content: "Say hi." }], max_tokens: 4, temperature: 0 }, {}, s.url);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  assertShape(body, CHAT_COMPLETION);
  assert.ok(body.choices[0]!.message.content.length > 0);
});
