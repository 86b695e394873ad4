import assert from "node:assert/strict";
import { test } from "node:test";
import type { GemmaModel } from "../../src/api/model.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { defaultModelPath } from "../helpers/model.js";

/**
 * Seeded sampling replays exactly: the same seed gives the same token ids on a second run, on a second load of
 * the model and with the kernels split over another number of threads (the split must not change any logit).
 */
const TINY = "test/fixtures/tiny/gemma3.gguf";
const SAMPLING = { temperature: 0.9, topK: 40, seed: 7 } as const;

async function sampled(model: GemmaModel, prompt: string | readonly number[], maxTokens: number): Promise<readonly number[]> {
  // no stop tokens, so every run draws exactly maxTokens tokens
  const r = await model.generate(prompt, { ...SAMPLING, maxTokens, stopTokens: [] }).finished();
  assert.equal(r.tokens.length, maxTokens);
  return r.tokens;
}

test("tiny Gemma 3: seed 7 gives the same 40 tokens across runs, loads and 1 vs 2 threads", async () => {
  const prompt = [2, 260, 265, 270, 280, 290];
  const one = await loadModel(TINY, { threads: 1 });
  const first = await sampled(one, prompt, 40);
  assert.deepEqual(await sampled(one, prompt, 40), first, "second run on the same model");
  assert.deepEqual(await sampled(await loadModel(TINY, { threads: 1 }), prompt, 40), first, "a second load");
  assert.deepEqual(await sampled(await loadModel(TINY, { threads: 2 }), prompt, 40), first, "2 threads");
  // a different seed is a different draw (40 tokens at temperature 0.9 over 298 pieces never coincide by chance)
  const other = await one.generate(prompt, { ...SAMPLING, seed: 8, maxTokens: 40, stopTokens: [] }).finished();
  assert.notDeepEqual(other.tokens, first);
});

test("default model: seed 7 gives the same 16 tokens on 1 and 2 threads", async () => {
  const path = await defaultModelPath();
  const prompt = "The quick brown fox";
  const one = await sampled(await loadModel(path, { threads: 1, contextSize: 64 }), prompt, 16);
  const two = await sampled(await loadModel(path, { threads: 2, contextSize: 64 }), prompt, 16);
  assert.deepEqual(two, one);
});
