import assert from "node:assert/strict";
import { test } from "node:test";
import type { GeneratedChunk } from "../../src/engine/generate.js";
import { isGemmaError } from "../../src/util/errors.js";
import type { Progress } from "../../src/platform/node/sources/progress.js";
import { freshLogprobs, loadTiny, noStopBias, TINY_GEMMA3 } from "./tiny.js";
import { loadModel } from "../../src/platform/node/load-model.js";

const model = await loadTiny({ contextSize: 256 });
const bias = noStopBias(model);

async function collect(stream: AsyncIterable<GeneratedChunk>): Promise<GeneratedChunk[]> {
  const out: GeneratedChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

test("loadModel by path reports weight progress; unsupported options are refused before loading", async () => {
  const events: Progress[] = [];
  const m = await loadModel(TINY_GEMMA3, { onProgress: (p) => events.push(p) });
  assert.ok(events.some((e) => e.type === "advance" && e.label === "loading weights"));
  assert.deepEqual(events.at(-1), { type: "finish", label: "loading weights" });
  assert.equal(m.sequence.ctx.contextSize, Math.min(m.config.contextLength, 4096));
  await assert.rejects(loadModel(TINY_GEMMA3, { kvType: "q8_0" }), (e) => isGemmaError(e) && e.code === "UNSUPPORTED_TENSOR_TYPE");
  await assert.rejects(loadModel(TINY_GEMMA3, { threads: 0 }), (e) => isGemmaError(e));
});

test("tokenize / detokenize round trip; parseSpecial decides whether marker strings become ids", () => {
  const text = "Hello <end_of_turn> world";
  assert.equal(model.detokenize(model.tokenize(text)), text);
  const eot = model.tokenizer.tokenId("<end_of_turn>")!;
  assert.ok(!model.tokenize(text).includes(eot));
  assert.ok(model.tokenize(text, { parseSpecial: true }).includes(eot));
  assert.equal(model.tokenize("x", { addBos: true })[0], model.tokenizer.bos);
});

test("chunks concatenate to the result's text; the token limit ends with finish reason length", async () => {
  const stream = model.generate("Once upon", { maxTokens: 12, temperature: 1, topK: 0, seed: 9, logitBias: bias });
  const chunks = await collect(stream);
  const r = await stream.finished();
  assert.equal(r.finishReason, "length");
  assert.equal(r.tokens.length, 12);
  assert.equal(chunks.map((c) => c.text).join(""), r.text);
  assert.equal(r.text, model.detokenize(r.tokens));
});

test("the same seed gives the same output across runs; another seed another output", async () => {
  const run = (seed: number) => model.generate("A", { maxTokens: 20, temperature: 1, topK: 0, topP: 1, minP: 0, seed, logitBias: bias }).finished();
  const [a, b, c] = [await run(1), await run(1), await run(2)];
  assert.deepEqual(a.tokens, b.tokens);
  assert.notDeepEqual(a.tokens, c.tokens);
});

test("stop strings end the output across token boundaries, exactly where a search of the full text finds them", async () => {
  const o = { maxTokens: 40, temperature: 1, topK: 0, seed: 5, logitBias: bias };
  const full = await collect(model.generate("The", o));
  const texts = full.map((c) => c.text);
  const whole = texts.join("");
  let tried = 0;
  for (let i = 0; i + 1 < texts.length && tried < 4; i++) {
    if (texts[i] === "" || texts[i + 1] === "") continue;
    const stop = texts[i]!.slice(-1) + texts[i + 1]!.slice(0, 1);
    const r = await model.generate("The", { ...o, stop: [stop] }).finished();
    assert.equal(r.text, whole.slice(0, whole.indexOf(stop)), `stop ${JSON.stringify(stop)}`);
    assert.equal(r.finishReason, "stop");
    tried++;
  }
  assert.ok(tried > 0, "some adjacent tokens both produced text");
});

test("logprobs: the chosen token's and the top-N log-probabilities equal a fresh context's log softmax", async () => {
  const prompt = model.tokenize("Hello there", { addBos: true });
  const all = await collect(model.generate(prompt, { maxTokens: 6, temperature: 0.7, seed: 3, logprobs: 5, logitBias: bias }));
  const chunks = all.filter((c) => c.token !== undefined);
  assert.equal(chunks.length, 6);
  const tokens = chunks.map((c) => c.token!);
  const rows = freshLogprobs(model, [...prompt, ...tokens], prompt.length - 1);
  chunks.forEach((c, step) => {
    const row = rows[step]!;
    assert.ok(Math.abs(c.logprobs!.logprob - row[c.token!]!) < 1e-4, `step ${step}`);
    const best = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!).slice(0, 5);
    assert.deepEqual(c.logprobs!.top.map((t) => t.token), best);
    c.logprobs!.top.forEach((t) => assert.ok(Math.abs(t.logprob - row[t.token]!) < 1e-4));
  });
});

test("an AbortSignal or leaving the loop early stops generation; the model is free again afterwards", async () => {
  const controller = new AbortController();
  const stream = model.generate("Go", { maxTokens: 100, seed: 1, signal: controller.signal, logitBias: bias });
  let n = 0;
  for await (const _ of stream) if (++n === 3) controller.abort();
  const r = await stream.finished();
  assert.equal(r.finishReason, "abort");
  assert.equal(r.tokens.length, 3);

  const broken = model.generate("Go", { maxTokens: 100, seed: 1, logitBias: bias });
  for await (const _ of broken) break;
  assert.equal((await broken.finished()).finishReason, "abort");
  assert.equal((await model.generate("Go", { maxTokens: 2, seed: 1 }).finished()).promptTokens, 3);
});

test("one generation at a time per model: a second concurrent one is an error, the first goes on", async () => {
  const first = model.generate("One", { maxTokens: 5, seed: 1, logitBias: bias });
  const iter = first[Symbol.asyncIterator]();
  await iter.next();
  await assert.rejects(model.generate("Two", { maxTokens: 5 }).finished(), (e) => isGemmaError(e) && /busy/.test(e.message));
  while (!(await iter.next()).done);
  assert.equal((await first.finished()).tokens.length, 5);
});

test("a prompt sharing a prefix with the cache evaluates only the rest", async () => {
  const a = model.tokenize("The quick brown fox", { addBos: true });
  await model.generate(a, { maxTokens: 1 }).finished();
  const b = [...a, ...model.tokenize(" jumps")];
  const r = await model.generate(b, { maxTokens: 1 }).finished();
  assert.equal(r.cachedTokens, a.length);
});

test("JSON-schema constrained output is valid for the schema", async () => {
  for (const seed of [1, 2, 3]) {
    const r = await model.generate("Answer:", { maxTokens: 40, temperature: 1, seed, jsonSchema: { enum: ["yes", "no"] } }).finished();
    assert.equal(r.finishReason, "stop");
    assert.ok(["yes", "no"].includes(JSON.parse(r.text)), r.text);
  }
});

test("context overflow: an error by default, or the older half dropped with shift", async () => {
  const small = await loadTiny({ contextSize: 32 });
  await assert.rejects(
    small.generate("Hi", { maxTokens: 64, seed: 1, logitBias: noStopBias(small) }).finished(),
    (e) => isGemmaError(e) && e.code === "CONTEXT_OVERFLOW",
  );
  const stream = small.generate("Hi", { maxTokens: 64, seed: 1, logitBias: noStopBias(small), contextOverflow: "shift", logprobs: 0 });
  const chunks = (await collect(stream)).filter((c) => c.token !== undefined);
  const r = await stream.finished();
  assert.equal(r.finishReason, "length");
  assert.equal(r.tokens.length, 64);
  assert.ok(r.shifts >= 2);
  // after the shifts the cache holds BOS + the newer tokens, re-evaluated: the last step's distribution equals
  // a fresh context's on exactly those tokens
  const seq = small.sequence.tokens;
  assert.equal(seq[0], small.tokenizer.bos);
  assert.ok(seq.length <= 32);
  assert.deepEqual(seq.slice(1), r.tokens.slice(r.tokens.length - seq.length, -1));
  const last = chunks.at(-1)!;
  const row = freshLogprobs(small, seq, seq.length - 1)[0]!;
  assert.ok(Math.abs(last.logprobs!.logprob - row[last.token!]!) < 1e-4);
});
