import assert from "node:assert/strict";
import { test } from "node:test";
import { argmax, Sampler, topIndices } from "../../src/engine/sample.js";

function seededLogits(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 8 - 4;
  }
  return out;
}

test("temperature 0 is argmax and ignores the seed", () => {
  const logits = seededLogits(5000, 7);
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  for (const seed of [1, 2, 3]) {
    const s = new Sampler(logits.length, { temperature: 0, topK: 40, topP: 0.9, minP: 0.1, seed });
    assert.equal(s.sample(logits), best);
  }
  assert.equal(argmax(logits), best);
});

test("topIndices returns the k largest in descending order (checked against a full sort)", () => {
  const logits = seededLogits(3000, 11);
  const sorted = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  for (const k of [1, 5, 40, 3000]) {
    const out = new Int32Array(3000);
    const n = topIndices(logits, logits.length, k, out);
    assert.equal(n, k);
    assert.deepEqual(Array.from(out.subarray(0, n)), sorted.slice(0, k));
  }
});

test("the same seed gives the same draws; top-k 1 is greedy", () => {
  const logits = seededLogits(1000, 3);
  const draw = (seed: number) => {
    const s = new Sampler(logits.length, { temperature: 1, topK: 0, topP: 1, minP: 0, seed });
    return Array.from({ length: 50 }, () => s.sample(logits));
  };
  assert.deepEqual(draw(42), draw(42));
  assert.notDeepEqual(draw(42), draw(43));
  const greedy = new Sampler(logits.length, { temperature: 1.5, topK: 1, topP: 1, minP: 0, seed: 5 });
  assert.equal(greedy.sample(logits), argmax(logits));
});

test("draw frequencies follow softmax(logits / T) over the kept set", () => {
  const logits = new Float32Array([2.0, 1.0, 0.5, 0.0, -1.0, -3.0]);
  const T = 0.7;
  const s = new Sampler(logits.length, { temperature: T, topK: 0, topP: 1, minP: 0, seed: 1234 });
  const n = 60000;
  const counts = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) counts[s.sample(logits)]++;
  const z = Array.from(logits, (l) => Math.exp(l / T));
  const total = z.reduce((a, b) => a + b, 0);
  for (let i = 0; i < logits.length; i++) {
    const p = z[i]! / total;
    const sd = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(counts[i] / n - p) < 5 * sd + 1e-4, `token ${i}: ${counts[i] / n} vs ${p}`);
  }
});

test("top-p keeps the smallest prefix reaching p; min-p drops tokens below minP x top", () => {
  // probabilities ~ [0.5, 0.25, 0.125, 0.0625, ...]
  const logits = new Float32Array(Array.from({ length: 8 }, (_, i) => -i * Math.LN2));
  const seen = (o: { topP: number; minP: number }) => {
    const s = new Sampler(logits.length, { temperature: 1, topK: 0, seed: 9, ...o });
    const set = new Set<number>();
    for (let i = 0; i < 4000; i++) set.add(s.sample(logits));
    return [...set].sort();
  };
  assert.deepEqual(seen({ topP: 0.7, minP: 0 }), [0, 1]);
  assert.deepEqual(seen({ topP: 1, minP: 0.2 }), [0, 1, 2]);
});
