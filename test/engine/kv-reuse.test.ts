import assert from "node:assert/strict";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { TokenSequence } from "../../src/engine/sequence.js";
import { freshLogprobs, loadTiny } from "../api/tiny.js";

/**
 * Prefix reuse in the KV cache on the tiny Gemma 3 (sliding window 8 on five of six layers): after any rollback the
 * logits must equal those of a fresh context that evaluated the new prompt from scratch.
 */
const model = await loadTiny();

function lastLogprobs(seq: TokenSequence, prompt: number[]): { row: Float64Array; cached: number } {
  let row = new Float64Array(0);
  const stats = seq.prefill(prompt, (l) => {
    let max = -Infinity;
    for (const v of l) max = Math.max(max, v);
    let sum = 0;
    for (const v of l) sum += Math.exp(v - max);
    row = Float64Array.from(l, (v) => v - max - Math.log(sum));
  });
  return { row, cached: stats.cachedTokens };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const base = Array.from({ length: 40 }, (_, i) => 3 + ((i * 37) % 250));

for (const swaFull of [false, true]) {
  test(`rollbacks ${swaFull ? "with full-length caches" : "on the sliding-window ring (batch 4)"}: logits equal a fresh evaluation`, () => {
    const batchSize = 4;
    const seq = new TokenSequence(new Context(model.model, { contextSize: 64, batchSize, swaFull }));
    for (const rollback of [1, 3, 4, 5, 9, 20, 0]) {
      seq.clear();
      lastLogprobs(seq, base);
      const keep = base.length - rollback;
      const next = [...base.slice(0, keep), 7, 8, 9, 10, 11, 12];
      const { row, cached } = lastLogprobs(seq, next);
      const expectCached = swaFull || rollback <= batchSize ? keep : 0;
      assert.equal(cached, expectCached, `rollback ${rollback}`);
      assert.deepEqual(seq.tokens, next);
      const fresh = freshLogprobs(model, next, next.length - 1)[0]!;
      assert.ok(maxAbsDiff(row, fresh) < 1e-4, `rollback ${rollback}: max |Δ| ${maxAbsDiff(row, fresh)}`);
    }
  });
}

test("a prompt the cache holds entirely still evaluates its last token (its logits are needed)", () => {
  const seq = new TokenSequence(new Context(model.model, { contextSize: 64 }));
  lastLogprobs(seq, base);
  const { row, cached } = lastLogprobs(seq, base);
  assert.equal(cached, base.length - 1);
  assert.ok(maxAbsDiff(row, freshLogprobs(model, base, base.length - 1)[0]!) < 1e-4);
  const shorter = base.slice(0, 30);
  assert.equal(lastLogprobs(seq, shorter).cached, 29);
});
