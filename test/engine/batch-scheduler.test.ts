import assert from "node:assert/strict";
import { test } from "node:test";
import { BatchScheduler } from "../../src/engine/batch-scheduler.js";
import type { GeneratedChunk, GenerateResult } from "../../src/engine/generate.js";
import { resolveGeneration } from "../../src/engine/generation-options.js";
import { MultiContext } from "../../src/engine/multi-context.js";
import { loadTiny, noStopBias } from "../api/tiny.js";

/** The scheduler on the tiny model, against the library's single-sequence generation (GemmaModel.generate). */
const model = await loadTiny({ contextSize: 128 });
const NO_STOP = noStopBias(model);
const options = (maxTokens: number) => resolveGeneration(model.model, 128, { temperature: 0, maxTokens, logitBias: NO_STOP });

async function collect(gen: AsyncGenerator<GeneratedChunk, GenerateResult>): Promise<{ text: string; result: GenerateResult }> {
  let text = "";
  for (;;) {
    const step = await gen.next();
    if (step.done) return { text, result: step.value };
    text += step.value.text;
  }
}

test("generations started at different times, with prompts longer than a step's free rows, equal each run alone", async () => {
  const sched = new BatchScheduler(new MultiContext(model.model, { sequences: 3, contextSize: 128, batchSize: 8 }));
  const prompts = [model.tokenize("the cat sat on a mat and then it ran", { addBos: true }), model.tokenize("a mat", { addBos: true }), model.tokenize("it ran and then the cat sat on the mat", { addBos: true })];
  const first = collect(sched.generate(prompts[0]!, options(20)));
  await new Promise((r) => setTimeout(r, 0));
  const later = [collect(sched.generate(prompts[1]!, options(12))), collect(sched.generate(prompts[2]!, options(16)))];
  const got = await Promise.all([first, ...later]);
  for (const [i, p] of prompts.entries()) {
    const alone = await model.generate(p, { temperature: 0, maxTokens: [20, 12, 16][i], logitBias: NO_STOP }).text();
    assert.equal(got[i]!.text, alone, `prompt ${i}`);
  }
  const stats = sched.stats;
  assert.ok(stats.stepsBySequences.slice(2).some((n) => n > 0), `steps by sequences ${stats.stepsBySequences}`);
  assert.equal(stats.generatedTokens, 48);
  assert.equal(stats.promptTokensEvaluated, prompts.reduce((n, p) => n + p.length, 0));
  assert.equal(sched.free, 3);
});

test("an aborted generation leaves its slot within one step; a finished one keeps its tokens for the next prompt", async () => {
  const sched = new BatchScheduler(new MultiContext(model.model, { sequences: 2, contextSize: 128, batchSize: 8 }));
  const stop = new AbortController();
  const p = model.tokenize("the cat sat", { addBos: true });
  const leaving = sched.generate(p, { ...options(100), signal: stop.signal });
  const staying = sched.generate(model.tokenize("a mat", { addBos: true }), options(100));
  await leaving.next();
  await staying.next();
  assert.equal(sched.free, 0);
  const steps = sched.stats.steps;
  stop.abort();
  while (sched.free === 0) await staying.next();
  assert.ok(sched.stats.steps - steps <= 1, `${sched.stats.steps - steps} steps after the abort`);
  assert.equal((await collect(leaving)).result.finishReason, "abort");
  // the aborted slot holds p and what it generated: a prompt extending p reuses all of p
  const next = await collect(sched.generate([...p, ...model.tokenize(" on", {})], options(2)));
  assert.equal(next.result.cachedTokens, p.length);
  await staying.return(undefined as never);
});
