import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { MultiContext } from "../../src/engine/multi-context.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import type { Model } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { rng } from "../helpers/rng.js";

/**
 * Several sequences in one batch (MultiContext): every row at its own position against its own sequence's cache.
 * Judged against transformers' fp32 logits of the tiny fixtures (test/golden/model, scripts/ref/model-tiny.py) and
 * against the same sequence evaluated alone in a Context. The 40-token inputs span 5 sliding windows of 8, so the
 * ring caches (window + batch - 1 slots) wrap several times while other sequences share the steps.
 */
interface TinyGolden {
  fixture: { gguf: string };
  ids: number[];
  transformers: { logits: number[][] };
}

const golden = (name: string) => JSON.parse(readFileSync(`test/golden/model/tiny-${name}.json`, "utf8")) as TinyGolden;

async function load(g: TinyGolden): Promise<Model> {
  const file = await openGgufPath(g.fixture.gguf);
  const model = await loadGgufModel(file);
  await file.close();
  return model;
}

/** Logits of every position of `ids` in a lone Context, one token per step. */
function alone(model: Model, ids: readonly number[], batchSize: number): Float32Array[] {
  const ctx = new Context(model, { contextSize: 64, batchSize });
  const out: Float32Array[] = [];
  ctx.evaluate(ids, { logits: "all", onLogits: (i, l) => (out[i] = l.slice()) });
  return out;
}

/**
 * Evaluates the sequences together: each step takes from each unfinished sequence (those already started) a chunk
 * of 1..3 tokens (seeded), while the batch has room; sequence s starts at step starts[s]. Returns, per sequence,
 * the logits at the last position of each of its chunks.
 */
function together(model: Model, seqs: readonly (readonly number[])[], starts: readonly number[], batchSize: number, seed: number) {
  const ctx = new MultiContext(model, { sequences: seqs.length, contextSize: 64, batchSize });
  const got = seqs.map(() => new Map<number, Float32Array>());
  const fed = seqs.map(() => 0);
  const random = rng(seed);
  let sharedSteps = 0;
  for (let step = 0; fed.some((f, s) => f < seqs[s]!.length); step++) {
    ctx.begin();
    const outs: Array<[number, number, number]> = [];
    for (let s = 0; s < seqs.length; s++) {
      if (step < starts[s]! || fed[s]! >= seqs[s]!.length || ctx.room === 0) continue;
      const n = Math.min(1 + Math.floor(random() * 3), seqs[s]!.length - fed[s]!, ctx.room);
      outs.push([s, fed[s]! + n - 1, ctx.add(s, seqs[s]!, fed[s]!, fed[s]! + n, true)]);
      fed[s]! += n;
    }
    ctx.run();
    if (outs.length > 1) sharedSteps++;
    for (const [s, pos, i] of outs) got[s]!.set(pos, ctx.logits(i).slice());
    for (let s = 0; s < seqs.length; s++) assert.equal(ctx.nPast(s), fed[s]);
  }
  return { got, sharedSteps };
}

function maxAbs(rows: readonly ArrayLike<number>[]): number {
  let m = 0;
  for (const r of rows) for (let i = 0; i < r.length; i++) m = Math.max(m, Math.abs(r[i]!));
  return m;
}

for (const name of ["gemma3", "gemma2"]) {
  test(`tiny ${name}: three sequences decoded together, at different positions, equal each evaluated alone and transformers`, async () => {
    const g = golden(name);
    const model = await load(g);
    const ids = g.ids;
    // a rotation and a reversal of the golden input: other tokens at the same positions
    const seqs = [ids, [...ids.slice(13), ...ids.slice(0, 13)], [...ids].reverse()];
    const batchSize = 6;
    const { got, sharedSteps } = together(model, seqs, [0, 3, 9], batchSize, 11);
    assert.ok(sharedSteps > 10, `steps with several sequences: ${sharedSteps}`);
    const bound = 1e-4 * maxAbs(g.transformers.logits);
    seqs.forEach((seq, s) => {
      const ref = alone(model, seq, batchSize);
      assert.ok(got[s]!.size >= 15, `sequence ${s}: ${got[s]!.size} positions compared`);
      for (const [pos, l] of got[s]!) {
        let d = 0;
        for (let i = 0; i < l.length; i++) d = Math.max(d, Math.abs(l[i]! - ref[pos]![i]!));
        assert.ok(d <= 1e-5 * maxAbs([ref[pos]!]), `sequence ${s} position ${pos}: alone vs together max |Δ| ${d}`);
        if (s !== 0) continue;
        const t = g.transformers.logits[pos]!;
        let dt = 0;
        for (let i = 0; i < l.length; i++) dt = Math.max(dt, Math.abs(l[i]! - t[i]!));
        assert.ok(dt <= bound, `position ${pos}: transformers max |Δ| ${dt} vs bound ${bound}`);
      }
    });
  });
}

test("rollback of one sequence within the ring limit, while another advances, stays exact", async () => {
  const g = golden("gemma3");
  const model = await load(g);
  const ids = g.ids;
  const batchSize = 4;
  const ctx = new MultiContext(model, { sequences: 2, contextSize: 64, batchSize });
  const other = [...ids].reverse();
  // sequence 0 runs 30 tokens of a detour, rolls back `batchSize` of them and continues with the real input
  const detour = [...ids.slice(0, 26), 5, 6, 7, 8];
  for (let i = 0; i < detour.length; i++) {
    ctx.begin();
    ctx.add(0, detour, i, i + 1, false);
    ctx.add(1, other, i, i + 1, false);
    ctx.run();
  }
  ctx.truncate(0, 26);
  assert.throws(() => ctx.truncate(1, 30 - batchSize - 1), /roll back/);
  const ref = alone(model, ids, batchSize);
  for (let i = 26; i < ids.length; i++) {
    ctx.begin();
    const o = ctx.add(0, ids, i, i + 1, true);
    ctx.run();
    const l = ctx.logits(o);
    let d = 0;
    for (let j = 0; j < l.length; j++) d = Math.max(d, Math.abs(l[j]! - ref[i]![j]!));
    assert.ok(d <= 1e-5 * maxAbs([ref[i]!]), `position ${i}: ${d}`);
  }
});

test("a step refuses a sequence twice, a token outside the vocabulary and a context overflow", async () => {
  const g = golden("gemma3");
  const model = await load(g);
  const ctx = new MultiContext(model, { sequences: 2, contextSize: 8, batchSize: 4 });
  ctx.begin();
  ctx.add(0, [1, 2], 0, 2, false);
  assert.throws(() => ctx.add(0, [3], 0, 1, false), /already in this step/);
  assert.throws(() => ctx.add(1, [100000], 0, 1, false), /outside the vocabulary/);
  assert.throws(() => ctx.add(1, [1, 2, 3], 0, 3, false), /batch holds/);
  ctx.run();
  for (let i = 0; i < 3; i++) {
    ctx.begin();
    ctx.add(0, [1, 2], 0, 2, false);
    ctx.run();
  }
  ctx.begin();
  assert.throws(() => ctx.add(0, [1], 0, 1, false), /do not fit the context/);
  assert.throws(() => new MultiContext(model, { sequences: 5, contextSize: 8, batchSize: 4 }), /sequences must be/);
});
