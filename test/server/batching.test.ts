import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { ChatMessage } from "../../src/engine/prompt.js";
import { createApp, type ServerOptions } from "../../src/server/app.js";
import { listen } from "../../src/server/node-adapter.js";
import { loadTiny } from "../api/tiny.js";
import { assertShape, CHAT_CHUNK, CHAT_COMPLETION, TEXT_COMPLETION, USAGE } from "./openai-shape.js";

/**
 * Continuous batching in the server (--parallel), on the tiny random-weight model over loopback. The reference for
 * every answer is the library's single-sequence generation (GemmaModel.generate: one Context, one request at a
 * time) of the same prompt and settings at temperature 0; the batch must not change a single token.
 */
const model = await loadTiny({ contextSize: 256 });
/** Bans both end-of-generation tokens (as far as JSON can: -100), so that answers run to their token limit. */
const NO_STOP = { [model.tokenizer.eos]: -100, [model.tokenizer.tokenId("<end_of_turn>")!]: -100 };
const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(opts: Partial<ServerOptions>): Promise<string> {
  const app = createApp({ model, modelId: "tiny", ...opts });
  const s = await listen((r) => app.handle(r), "127.0.0.1", 0);
  servers.push(s);
  return s.url;
}

function post(url: string, path: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), ...init });
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url + "/metrics")).text();
  const m = new RegExp(`^${name.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text);
  assert.ok(m, `${name} missing from /metrics`);
  return Number(m[1]);
}

/** Steps that advanced more than one sequence together. */
async function sharedSteps(url: string, parallel: number): Promise<number> {
  let n = 0;
  for (let k = 2; k <= parallel; k++) n += await metric(url, `gemma_batch_steps_total{sequences="${k}"}`);
  return n;
}

/** A streamed chat answer, checked event by event: a role chunk, content deltas, a finish chunk, usage, [DONE]. */
async function streamedChat(res: Response): Promise<{ text: string; finish: string; completionTokens: number }> {
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(text.endsWith("data: [DONE]\n\n"), "the stream ends with [DONE]");
  const events = text.split("\n\n").filter((e) => e !== "");
  for (const e of events) assert.ok(e.startsWith("data: "), `event ${JSON.stringify(e)}`);
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { role?: string; content?: string }; finish_reason: string | null }[]; usage?: { completion_tokens: number } });
  const usage = chunks.pop()!;
  assertShape(usage.usage, USAGE);
  chunks.forEach((c) => assertShape(c, CHAT_CHUNK));
  assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
  assert.ok(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null));
  return {
    text: chunks.map((c) => c.choices[0]!.delta.content ?? "").join(""),
    finish: chunks.at(-1)!.choices[0]!.finish_reason!,
    completionTokens: usage.usage!.completion_tokens,
  };
}

const words = ["the", "cat", "sat", "on", "a", "mat", "and", "then", "it", "ran"];
const conversation = (i: number): ChatMessage[] => [
  { role: "system", content: "Be brief." },
  { role: "user", content: Array.from({ length: 2 + (i % 5) }, (_, j) => words[(i * 3 + j) % words.length]).join(" ") },
];

test("answers under concurrency equal the same requests answered alone: greedy, stop strings, logprobs, JSON schema", async () => {
  const url = await start({ parallel: 4 });
  const schema = { type: "object", properties: { a: { type: "integer" } }, required: ["a"] };
  const cases = Array.from({ length: 8 }, (_, i) => {
    const messages = conversation(i);
    const max = 6 + (i % 4) * 3;
    if (i % 4 === 1) return { body: { messages, max_tokens: max, temperature: 0, logit_bias: NO_STOP, stop: ["a"] }, opts: { stop: ["a"] } };
    if (i % 4 === 2) return { body: { messages, max_tokens: max, temperature: 0, logit_bias: NO_STOP, logprobs: true, top_logprobs: 2 }, opts: { logprobs: 2 } };
    if (i % 4 === 3) return { body: { messages, max_tokens: 40, temperature: 0, response_format: { type: "json_schema", json_schema: { name: "a", schema } } }, opts: { jsonSchema: schema, maxTokens: 40 } };
    return { body: { messages, max_tokens: max, temperature: 0, logit_bias: NO_STOP }, opts: {} };
  });
  const answers = await Promise.all(
    cases.map(async (c) => {
      const res = await post(url, "/v1/chat/completions", c.body);
      assert.equal(res.status, 200);
      return (await res.json()) as { choices: { message: { content: string }; finish_reason: string; logprobs: { content: { logprob: number }[] } | null }[]; usage: { prompt_tokens: number; completion_tokens: number } };
    }),
  );
  assert.ok((await sharedSteps(url, 4)) > 0, "some steps advanced several answers together");
  for (const [i, c] of cases.entries()) {
    const body = answers[i]!;
    assertShape(body, CHAT_COMPLETION);
    const prompt = model.formatChat(conversation(i));
    const b = c.body as { max_tokens: number; logit_bias?: Record<number, number> };
    const alone = await model.generate(prompt, { temperature: 0, maxTokens: b.max_tokens, logitBias: b.logit_bias, ...c.opts }).finished();
    const choice = body.choices[0]!;
    assert.equal(choice.message.content, alone.text, `request ${i}`);
    assert.equal(choice.finish_reason, alone.finishReason === "length" ? "length" : "stop", `request ${i}`);
    assert.deepEqual(body.usage.completion_tokens, alone.tokens.length);
    assert.equal(body.usage.prompt_tokens, prompt.length);
    if (i % 4 === 2) {
      assert.equal(choice.logprobs!.content.length, alone.tokens.length);
      let k = 0;
      for await (const chunk of model.generate(prompt, { temperature: 0, maxTokens: b.max_tokens, logitBias: b.logit_bias, logprobs: 2 })) {
        if (chunk.logprobs) assert.ok(Math.abs(choice.logprobs!.content[k++]!.logprob - chunk.logprobs.logprob) < 1e-6);
      }
    }
    if (i % 4 === 3 && choice.finish_reason === "stop") assert.equal(typeof (JSON.parse(choice.message.content) as { a: number }).a, "number");
  }
});

test("load: 24 concurrent streaming clients, 3 requests each: every answer complete, none lost, batched steps observed", async () => {
  const parallel = 4;
  const url = await start({ parallel, queueSize: 64 });
  const clients = 24;
  const perClient = 3;
  const results = await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const out: Array<{ text: string; finish: string; completionTokens: number }> = [];
      for (let r = 0; r < perClient; r++) {
        const max = 4 + ((c + r) % 5);
        const res = await post(url, "/v1/chat/completions", {
          messages: conversation(c * perClient + r),
          max_tokens: max,
          temperature: 0,
          logit_bias: NO_STOP,
          stream: true,
          stream_options: { include_usage: true },
        });
        const a = await streamedChat(res);
        assert.equal(a.finish, "length");
        assert.equal(a.completionTokens, max);
        out.push(a);
      }
      return out;
    }),
  );
  assert.equal(results.flat().length, clients * perClient);
  // spot-check answers against the library's lone generation
  for (const i of [0, 7, 40, 71]) {
    const c = Math.floor(i / perClient);
    const r = i % perClient;
    const alone = await model.generate(model.formatChat(conversation(i)), { temperature: 0, maxTokens: 4 + ((c + r) % 5), logitBias: NO_STOP }).text();
    assert.equal(results[c]![r]!.text, alone, `request ${i}`);
  }
  assert.ok((await sharedSteps(url, parallel)) > 0, "steps with more than one sequence happened");
  assert.equal(await metric(url, `gemma_requests_total{route="/v1/chat/completions",status="200"}`), clients * perClient);
  assert.ok((await metric(url, "gemma_tokens_per_second")) > 0);
  assert.equal(await metric(url, "gemma_active_slots"), 0);
  assert.equal(await metric(url, "gemma_slots"), parallel);
});

test("a prompt prefix cached in a slot is reused by the next request that shares it", async () => {
  const url = await start({ parallel: 2 });
  const system = { role: "system" as const, content: "You answer in one word. " + words.join(" ") };
  const first = [system, { role: "user" as const, content: "the cat" }];
  const second = [system, { role: "user" as const, content: "a mat" }];
  const p1 = model.formatChat(first);
  const p2 = model.formatChat(second);
  let common = 0;
  while (p1[common] === p2[common]) common++;
  assert.ok(common > 10);
  const body = (messages: ChatMessage[]) => ({ messages, max_tokens: 3, temperature: 0, logit_bias: NO_STOP });
  assert.equal((await post(url, "/v1/chat/completions", body(first))).status, 200);
  const evaluated = await metric(url, "gemma_prompt_tokens_evaluated_total");
  const cached = await metric(url, "gemma_prompt_tokens_cached_total");
  assert.equal(evaluated, p1.length);
  assert.equal(cached, 0);
  const res = await post(url, "/v1/chat/completions", body(second));
  const answer = ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
  assert.equal(await metric(url, "gemma_prompt_tokens_cached_total"), common);
  assert.equal((await metric(url, "gemma_prompt_tokens_evaluated_total")) - evaluated, p2.length - common);
  assert.equal(answer, await model.generate(p2, { temperature: 0, maxTokens: 3, logitBias: NO_STOP }).text());
});

test("a client that disconnects frees its slot within a step: the queued request runs, the other slot goes on", async () => {
  const url = await start({ parallel: 2, queueSize: 4 });
  const long = (content: string) => ({ messages: [{ role: "user", content }], max_tokens: 200, temperature: 0, logit_bias: NO_STOP, stream: true });
  const leaving = new AbortController();
  const a = await post(url, "/v1/chat/completions", long("the cat"), { signal: leaving.signal });
  const b = await post(url, "/v1/chat/completions", long("a mat"));
  const readerA = a.body!.getReader();
  await readerA.read();
  const queued = post(url, "/v1/completions", { prompt: "then it ran", max_tokens: 3, temperature: 0 });
  while ((await metric(url, "gemma_queue_depth")) === 0) await new Promise((r) => setTimeout(r, 5));
  const generatedBefore = await metric(url, "gemma_generated_tokens_total");
  leaving.abort();
  const res = await queued;
  assert.equal(res.status, 200);
  // it ran in the freed slot while the other long answer was still going
  assert.equal(await metric(url, "gemma_active_slots"), 1);
  const body = (await res.json()) as { choices: { text: string }[] };
  assertShape(body, TEXT_COMPLETION);
  // the other answer was not disturbed: it runs to its 200 tokens
  const rest = await streamedChatNoUsage(b);
  assert.equal(rest.finish, "length");
  assert.equal(rest.text, await model.generate(model.formatChat([{ role: "user", content: "a mat" }]), { temperature: 0, maxTokens: 200, logitBias: NO_STOP }).text());
  assert.equal(await metric(url, "gemma_active_slots"), 0);
  assert.equal(generatedBefore, 0, "no answer had finished when the client left");
});

/** A streamed chat answer without the usage chunk. */
async function streamedChatNoUsage(res: Response): Promise<{ text: string; finish: string }> {
  const text = await res.text();
  const chunks = text
    .split("\n\n")
    .filter((e) => e !== "" && e !== "data: [DONE]")
    .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
  return { text: chunks.map((c) => c.choices[0]!.delta.content ?? "").join(""), finish: chunks.at(-1)!.choices[0]!.finish_reason! };
}
