import assert from "node:assert/strict";
import { test } from "node:test";
import type { GemmaModel } from "../../src/api/model.js";
import type { ChatSession } from "../../src/engine/chat-session.js";
import type { GeneratedChunk } from "../../src/engine/generate.js";
import type { GenerationOptions } from "../../src/engine/generation-options.js";
import type { ChatMessage } from "../../src/engine/prompt.js";
import { isGemmaError } from "../../src/util/errors.js";
import { freshLogprobs, loadTiny, noStopBias } from "./tiny.js";

/** Chat sessions on the tiny Gemma 3 (sliding window 8), checked against fresh evaluations of the whole conversation. */

interface Turn {
  readonly prompt: number[];
  readonly chunks: GeneratedChunk[];
  readonly cachedTokens: number;
  readonly droppedMessages: number;
  readonly shifts: number;
  readonly finishReason: string;
}

/** Sends a message and records the prompt ids the model saw, the chunks (with logprobs) and the totals. */
async function turn(model: GemmaModel, chat: ChatSession, text: string, maxTokens: number, seed: number, extra: GenerationOptions = {}): Promise<Turn> {
  const stream = chat.send(text, { maxTokens, temperature: 0.9, seed, logprobs: 3, logitBias: noStopBias(model), ...extra });
  const chunks: GeneratedChunk[] = [];
  for await (const c of stream) if (c.token !== undefined) chunks.push(c);
  const r = await stream.finished();
  const generated = chunks.map((c) => c.token!);
  // the cache now holds the prompt and every generated token but the last (sampled, not yet evaluated)
  const prompt = model.sequence.tokens.slice(0, model.sequence.tokens.length - generated.length + 1);
  assert.deepEqual(model.sequence.tokens.slice(prompt.length), generated.slice(0, -1));
  return { prompt, chunks, cachedTokens: r.cachedTokens, droppedMessages: r.droppedMessages, shifts: r.shifts, finishReason: r.finishReason };
}

/** Every step's chosen-token logprob equals a fresh context's on the whole conversation up to that step. */
function assertMatchesFresh(model: GemmaModel, t: Turn): void {
  const ids = [...t.prompt, ...t.chunks.map((c) => c.token!)];
  const rows = freshLogprobs(model, ids, t.prompt.length - 1);
  t.chunks.forEach((c, step) => {
    const want = rows[step]![c.token!]!;
    assert.ok(Math.abs(c.logprobs!.logprob - want) < 1e-4, `step ${step}: ${c.logprobs!.logprob} vs ${want}`);
    for (const alt of c.logprobs!.top) assert.ok(Math.abs(alt.logprob - rows[step]![alt.token]!) < 1e-4);
  });
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

test("turn 2 pre-fills only what the cache lacks, and its logits equal a fresh context's on the whole conversation", async () => {
  const model = await loadTiny({ contextSize: 256 });
  const chat = model.chat({ system: "You are terse." });
  const t1 = await turn(model, chat, "Hello there, how are you?", 6, 1);
  const cacheAfter1 = [...model.sequence.tokens];
  const t2 = await turn(model, chat, "Tell me more.", 6, 2);
  assert.equal(t2.prompt[0], model.tokenizer.bos);
  // the new prompt is the formatted conversation: system + turn 1 + its answer + turn 2
  const messages: ChatMessage[] = chat.messages.slice(0, -1);
  assert.deepEqual(t2.prompt, model.formatChat(messages));
  assert.equal(t2.cachedTokens, commonPrefix(cacheAfter1, t2.prompt));
  assert.ok(t2.cachedTokens >= t1.prompt.length, "turn 1's prompt was reused");
  assertMatchesFresh(model, t1);
  assertMatchesFresh(model, t2);
});

test("the answer joins the conversation; reset keeps the system prompt; /system-like changes apply to the next turn", async () => {
  const model = await loadTiny({ contextSize: 256 });
  const chat = model.chat({ system: "S" });
  const r = await chat.send("Hi", { maxTokens: 3, seed: 1, logitBias: noStopBias(model) }).finished();
  assert.deepEqual(chat.messages, [
    { role: "system", content: "S" },
    { role: "user", content: "Hi" },
    { role: "assistant", content: r.text },
  ]);
  assert.equal(r.message.content, r.text);
  chat.reset();
  assert.deepEqual(chat.messages, [{ role: "system", content: "S" }]);
  chat.setSystem("T");
  assert.deepEqual(chat.promptTokens("x"), model.formatChat([{ role: "system", content: "T" }, { role: "user", content: "x" }]));
});

test("context overflow by default: a CONTEXT_OVERFLOW error, and the conversation is left as it was", async () => {
  const model = await loadTiny({ contextSize: 40 });
  const chat = model.chat();
  await chat.send("Hi", { maxTokens: 4, seed: 1, logitBias: noStopBias(model) }).finished();
  const before = chat.messages;
  for (const [text, maxTokens] of [["x ".repeat(40), 2], ["Go on", 100]] as const) {
    await assert.rejects(
      chat.send(text, { maxTokens, seed: 1, logitBias: noStopBias(model) }).finished(),
      (e) => isGemmaError(e) && e.code === "CONTEXT_OVERFLOW",
    );
    assert.deepEqual(chat.messages, before);
  }
});

test("context shift drops the oldest exchanges, keeps the system prompt, and stays exact with sliding windows", async () => {
  const model = await loadTiny({ contextSize: 96, batchSize: 4 });
  const chat = model.chat({ system: "Keep me." });
  let dropped = 0;
  for (let i = 0; i < 8; i++) {
    const stream = chat.send(`Question ${i}?`, { maxTokens: 8, seed: i, contextOverflow: "shift", logitBias: noStopBias(model) });
    const r = await stream.finished();
    dropped += r.droppedMessages;
  }
  assert.ok(dropped >= 2, "some exchanges were dropped");
  const t = await turn(model, chat, "Last one?", 8, 99, { contextOverflow: "shift" });
  // the model saw: the system prompt, the turns not dropped, the new question (not its answer)
  const [system, ...turns] = chat.messages;
  const seen = [system!, ...turns.slice(dropped + t.droppedMessages, -1)];
  assert.deepEqual(t.prompt, model.formatChat(seen));
  assert.ok(model.detokenize(t.prompt).includes("Keep me."));
  assertMatchesFresh(model, t);
});

test("an answer that fills the context shifts mid-answer and goes on from the same tokens", async () => {
  const model = await loadTiny({ contextSize: 64, batchSize: 4 });
  const chat = model.chat();
  await chat.send("First question", { maxTokens: 10, seed: 1, logitBias: noStopBias(model) }).finished();
  const stream = chat.send("Second question", { maxTokens: 30, seed: 2, contextOverflow: "shift", logprobs: 2, logitBias: noStopBias(model) });
  const chunks: GeneratedChunk[] = [];
  for await (const c of stream) if (c.token !== undefined) chunks.push(c);
  const r = await stream.finished();
  assert.equal(r.finishReason, "length");
  assert.equal(r.tokens.length, 30);
  assert.ok(r.shifts >= 1);
  assert.equal(r.droppedMessages, 2);
  // after the shift the cache is the second question alone plus the answer so far
  const prompt = model.formatChat([{ role: "user", content: "Second question" }]);
  assert.deepEqual(model.sequence.tokens, [...prompt, ...r.tokens.slice(0, -1)]);
  // the last steps were computed on that shortened sequence: compare them with a fresh evaluation of it
  const tail = chunks.slice(-5);
  const rows = freshLogprobs(model, model.sequence.tokens, model.sequence.tokens.length - 5);
  tail.forEach((c, i) => assert.ok(Math.abs(c.logprobs!.logprob - rows[i]![c.token!]!) < 1e-4));
});

test("sessions share the model's cache: switching between two conversations stays correct", async () => {
  const model = await loadTiny({ contextSize: 256 });
  const a = model.chat({ system: "A" });
  const b = model.chat({ system: "B" });
  await turn(model, a, "one", 4, 1);
  await turn(model, b, "two", 4, 2);
  const t = await turn(model, a, "three", 4, 3);
  assertMatchesFresh(model, t);
});

test("a session cannot be changed while it answers", async () => {
  const model = await loadTiny({ contextSize: 256 });
  const chat = model.chat();
  const iter = chat.send("x", { maxTokens: 3, logitBias: noStopBias(model) })[Symbol.asyncIterator]();
  await iter.next();
  assert.throws(() => chat.setSystem("busy"), /answering/);
  while (!(await iter.next()).done);
  chat.setSystem("free");
  assert.equal(chat.system, "free");
});
