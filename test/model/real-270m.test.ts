import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { argmax } from "../../src/engine/sample.js";
import { perplexity } from "../../src/engine/perplexity.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import type { Model } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { sha256File } from "../../src/platform/node/sources/file-hash.js";
import { defaultModelPath } from "../helpers/model.js";

/**
 * The real Gemma 3 270M Q4_K_M against llama.cpp's outputs for the same file (node-llama-cpp 3.22.1, f32 KV cache,
 * flash attention off), recorded by scripts/ref/llama-golden.mjs. Tolerances from conventions.md.
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
  perplexity: { text: string; ids: number[]; runs: { nCtx: number; ppl: number; scored: number; chunks: number }[] };
}

const golden = JSON.parse(readFileSync("test/golden/model/gemma3-270m-q4km.llama.json", "utf8")) as Golden;
let loaded: Promise<Model> | undefined;
function model(): Promise<Model> {
  loaded ??= (async () => {
    const path = await defaultModelPath();
    assert.equal(await sha256File(path), golden.model.sha256, "the golden file was made from another model file");
    const file = await openGgufPath(path);
    try {
      return await loadGgufModel(file);
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

test("teacher-forced logits: max |Δ| <= 0.05 and top-1 equal wherever llama.cpp's margin > 0.1", async () => {
  const m = await model();
  const ctx = new Context(m, { contextSize: golden.settings.contextSize });
  let worst = 0;
  let checked = 0;
  for (const p of golden.prompts) {
    const want = new Map(p.positions.map((x) => [x.pos, x]));
    ctx.clear();
    ctx.evaluate(p.ids, {
      logits: (i) => want.has(i),
      onLogits(i, logits) {
        const ref = want.get(i)!;
        for (const [id, v] of [...ref.top, [ref.target, ref.targetLogit] as [number, number]]) worst = Math.max(worst, Math.abs(logits[id]! - v));
        worst = Math.max(worst, Math.abs(logSumExp(logits) - ref.lse));
        if (ref.margin > 0.1) assert.equal(argmax(logits), ref.top[0]![0], `${p.name} position ${i}`);
        checked++;
      },
    });
  }
  assert.equal(checked, golden.prompts.reduce((s, p) => s + p.positions.length, 0));
  console.log(`# real 270M: max |Δlogit| (top-16, target, log-sum-exp) over ${checked} positions = ${worst.toFixed(5)}`);
  assert.ok(worst <= 0.05, `max |Δlogit| ${worst}`);
});

test("greedy continuations part from llama.cpp's only where its top-2 margin < 0.1", async () => {
  const m = await model();
  const ctx = new Context(m, { contextSize: golden.settings.contextSize });
  let identical = 0;
  for (const p of golden.prompts) {
    ctx.clear();
    let next = -1;
    ctx.evaluate(p.ids, { onLogits: (_, l) => (next = argmax(l)) });
    const ref = p.greedy.tokens;
    let s = 0;
    for (; s < ref.length; s++) {
      if (next !== ref[s]) {
        assert.ok(p.greedy.margins[s]! < 0.1, `${p.name}: step ${s} chose ${next}, llama.cpp ${ref[s]} with margin ${p.greedy.margins[s]}`);
        break;
      }
      if (s + 1 < ref.length) ctx.evaluate([next], { onLogits: (_, l) => (next = argmax(l)) });
    }
    if (s === ref.length) identical++;
  }
  console.log(`# real 270M: ${identical}/${golden.prompts.length} greedy continuations identical over ${golden.prompts[0]!.greedy.tokens.length} tokens`);
});

test("the perplexity text tokenizes to llama.cpp's ids", async () => {
  const m = await model();
  const text = readFileSync(golden.perplexity.text, "utf8");
  assert.deepEqual(m.tokenizer.encode(text, { addBos: true }), golden.perplexity.ids);
});

for (const nCtx of [512, 1024]) {
  test(`perplexity at -c ${nCtx} within 0.2% of llama.cpp's method on its logits`, async () => {
    const m = await model();
    const ref = golden.perplexity.runs.find((r) => r.nCtx === nCtx)!;
    const ctx = new Context(m, { contextSize: nCtx, batchSize: 64 });
    const r = perplexity(ctx, golden.perplexity.ids, nCtx);
    assert.equal(r.chunks, ref.chunks);
    assert.equal(r.scoredTokens, ref.scored);
    console.log(`# real 270M: ppl at -c ${nCtx} = ${r.ppl.toFixed(5)}, llama.cpp ${ref.ppl}`);
    assert.ok(Math.abs(r.ppl - ref.ppl) / ref.ppl <= 0.002, `ppl ${r.ppl} vs ${ref.ppl}`);
  });
}
