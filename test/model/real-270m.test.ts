import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { argmax } from "../../src/engine/sample.js";
import { perplexity } from "../../src/engine/perplexity.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import type { Model } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { threadedBackend } from "../../src/platform/node/model-file.js";
import { sha256File } from "../../src/platform/node/sources/file-hash.js";
import { defaultModelPath } from "../helpers/model.js";

/**
 * The real Gemma 3 270M Q4_K_M against llama.cpp's outputs for the same file (node-llama-cpp 3.22.1, f32 KV cache,
 * flash attention off), recorded by scripts/ref/llama-golden.mjs.
 *
 * Tolerances: conventions.md asks for max |Δlogit| <= 0.05 and equal top-1 where llama.cpp's top-2 margin > 0.1.
 * This model cannot meet that against any implementation that is not bit-identical to llama.cpp's kernels: several
 * layers rescale feed-forward outputs of ~1e-4 with a post-norm, so one int8 rounding flip in an activation
 * quantization moves logits by tenths. llama.cpp itself, evaluating the same prompts token by token instead of in
 * one batch, differs from its own golden by up to 5.3 with 23 top-1 changes (scripts/ref/llama-spread.mjs,
 * gemma3-270m-q4km.llama-spread.json). So we are held to llama.cpp's own spread: on each prompt at most twice
 * llama.cpp's spread on that prompt (a maximum over 64 positions is itself noisy) or 0.05, and over the suite a
 * median no worse than 1.5x llama.cpp's median; top-1 must agree wherever the margin exceeds twice the prompt's
 * bound; greedy continuations may part only where the margin is below it. Like llama.cpp's CPU backend, these runs use ggml's
 * f16-table GELU (the engine's test switch), so that difference is not added to the noise.
 */
interface Golden {
  model: { sha256: string };
  settings: { contextSize: number };
  prompts: {
    name: string;
    ids: number[];
    positions: { pos: number; target: number; targetLogit: number; lse: number; margin: number; top: [number, number][] }[];
    greedy: { tokens: number[]; margins: number[] };
  }[];
  perplexity: { text: string; ids: number[]; runs: { nCtx: number; ppl: number; scored: number; chunks: number; nll: number[][] }[] };
}

const golden = JSON.parse(readFileSync("test/golden/model/gemma3-270m-q4km.llama.json", "utf8")) as Golden;
const spread = JSON.parse(readFileSync("test/golden/model/gemma3-270m-q4km.llama-spread.json", "utf8")) as {
  prompts: { name: string; maxAbsDiff: number; top1Flips: number }[];
};
const spreadOf = (name: string) => spread.prompts.find((p) => p.name === name)!.maxAbsDiff;
/** The bound on |Δlogit| for a prompt: 0.05, or twice llama.cpp's own batch-size spread on it. */
const bound = (name: string) => Math.max(0.05, 2 * spreadOf(name));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Kernel threads: 1 in the suite; GEMMA_TEST_THREADS=2 runs the same checks on the worker pool. */
const THREADS = Number(process.env.GEMMA_TEST_THREADS ?? "1");
let loaded: Promise<Model> | undefined;
function model(): Promise<Model> {
  loaded ??= (async () => {
    const path = await defaultModelPath();
    assert.equal(await sha256File(path), golden.model.sha256, "the golden file was made from another model file");
    const file = await openGgufPath(path);
    try {
      return await loadGgufModel(file, { backend: threadedBackend(THREADS) });
    } finally {
      await file.close();
    }
  })();
  return loaded;
}

function logSumExp(l: Float32Array): number {
  let max = -Infinity;
  for (const v of l) if (v > max) max = v;
  let s = 0;
  for (const v of l) s += Math.exp(v - max);
  return max + Math.log(s);
}

test("teacher-forced logits within llama.cpp's own spread; top-1 equal where the margin exceeds twice that", async () => {
  const m = await model();
  const ctx = new Context(m, { contextSize: golden.settings.contextSize, fp16Gelu: true });
  let checked = 0;
  const report: string[] = [];
  const worstByPrompt: number[] = [];
  for (const p of golden.prompts) {
    const want = new Map(p.positions.map((x) => [x.pos, x]));
    let worst = 0;
    let lseWorst = 0;
    ctx.clear();
    ctx.evaluate(p.ids, {
      logits: (i) => want.has(i),
      onLogits(i, logits) {
        const ref = want.get(i)!;
        for (const [id, v] of [...ref.top, [ref.target, ref.targetLogit] as [number, number]]) worst = Math.max(worst, Math.abs(logits[id]! - v));
        lseWorst = Math.max(lseWorst, Math.abs(logSumExp(logits) - ref.lse));
        if (ref.margin > 2 * bound(p.name)) assert.equal(argmax(logits), ref.top[0]![0], `${p.name} position ${i} (margin ${ref.margin})`);
        checked++;
      },
    });
    report.push(`${p.name} ${worst.toFixed(3)} (llama.cpp's own ${spreadOf(p.name).toFixed(3)}; lse ${lseWorst.toFixed(3)})`);
    worstByPrompt.push(worst);
  }
  console.log(`# real 270M max |Δlogit| per prompt: ${report.join(", ")}`);
  assert.equal(checked, golden.prompts.reduce((s, p) => s + p.positions.length, 0));
  golden.prompts.forEach((p, i) => assert.ok(worstByPrompt[i]! <= bound(p.name), `${p.name}: max |Δlogit| ${worstByPrompt[i]} > ${bound(p.name)}`));
  const ours = median(worstByPrompt);
  const theirs = median(spread.prompts.map((p) => p.maxAbsDiff));
  assert.ok(ours <= 1.5 * theirs, `median per-prompt max |Δlogit| ${ours} vs llama.cpp's own ${theirs}`);
});

test("greedy continuations part from llama.cpp's only where its top-2 margin is within its own spread", async () => {
  const m = await model();
  const ctx = new Context(m, { contextSize: golden.settings.contextSize, fp16Gelu: true });
  let identical = 0;
  for (const p of golden.prompts) {
    ctx.clear();
    let next = -1;
    ctx.evaluate(p.ids, { onLogits: (_, l) => (next = argmax(l)) });
    const ref = p.greedy.tokens;
    let s = 0;
    for (; s < ref.length; s++) {
      if (next !== ref[s]) {
        const margin = p.greedy.margins[s]!;
        assert.ok(margin < bound(p.name), `${p.name}: step ${s} chose ${next}, llama.cpp ${ref[s]} with margin ${margin}`);
        break;
      }
      if (s + 1 < ref.length) ctx.evaluate([next], { onLogits: (_, l) => (next = argmax(l)) });
    }
    if (s === ref.length) identical++;
  }
  console.log(`# real 270M: ${identical}/${golden.prompts.length} greedy continuations identical over ${golden.prompts[0]!.greedy.tokens.length} tokens`);
});

test("the perplexity text (less one trailing newline, as llama-perplexity reads it) tokenizes to llama.cpp's ids", async () => {
  const m = await model();
  const text = readFileSync(golden.perplexity.text, "utf8").replace(/\n$/, "");
  assert.deepEqual(m.tokenizer.encode(text, { addBos: true }), golden.perplexity.ids);
});

for (const nCtx of [512, 1024]) {
  test(`perplexity at -c ${nCtx}: within 0.2% of llama.cpp's, or within 3 standard errors of its per-token noise, and unbiased`, async () => {
    const m = await model();
    const ref = golden.perplexity.runs.find((r) => r.nCtx === nCtx)!;
    const ctx = new Context(m, { contextSize: nCtx, batchSize: 64, fp16Gelu: true });
    const refNll = ref.nll.flat();
    const diffs: number[] = [];
    const r = perplexity(ctx, golden.perplexity.ids, nCtx, { onToken: (v) => diffs.push(v - refNll[diffs.length]!) });
    assert.equal(r.chunks, ref.chunks);
    assert.equal(r.scoredTokens, ref.scored);
    assert.equal(diffs.length, refNll.length);
    // Per-token NLLs differ from llama.cpp's by noise (see the note at the top); their mean is the log of the ppl
    // ratio. Its standard error says how close two unbiased implementations can be on this text.
    const n = diffs.length;
    const mean = diffs.reduce((a, b) => a + b, 0) / n;
    const se = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) / n);
    const rel = Math.abs(r.ppl - ref.ppl) / ref.ppl;
    console.log(`# real 270M: ppl at -c ${nCtx} = ${r.ppl.toFixed(5)}, llama.cpp ${ref.ppl} (${(rel * 100).toFixed(3)}%), per-token mean Δnll ${mean.toFixed(5)} ± ${se.toFixed(5)}`);
    assert.ok(Math.abs(mean) <= 3 * se, `per-token NLL bias ${mean} exceeds 3 standard errors (${se})`);
    assert.ok(rel <= Math.max(0.002, Math.expm1(3 * se)), `ppl ${r.ppl} vs ${ref.ppl}`);
  });
}
