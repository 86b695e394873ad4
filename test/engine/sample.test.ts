import assert from "node:assert/strict";
import { test } from "node:test";
import { sortIds } from "../../src/engine/candidate-sort.js";
import { argmax, Sampler, topIndices } from "../../src/engine/sample.js";
import { isGemmaError } from "../../src/util/errors.js";

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

// --- the rest of llama.cpp's chain, each against a hand computation of its formula in this file ---

const OFF = { temperature: 1, topK: 0, topP: 1, minP: 0, seed: 1 } as const;

/** softmax over the given logits (double precision); -Infinity gives 0. */
function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

/** The sampler's distribution as a dense array over the vocabulary. */
function dense(s: Sampler, logits: Float32Array): number[] {
  const count = s.distribution(logits);
  const out = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < count; i++) out[s.candidateIds[i]!] = s.candidateProbs[i]!;
  return out;
}

function assertClose(actual: readonly number[], expected: readonly number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `index ${i}: ${a} vs ${expected[i]}`));
}

test("repeat, frequency and presence penalties follow llama.cpp's formulas over the last N tokens", () => {
  const logits = new Float32Array([2.5, -1.25, 0.75, 0, 1.5, -0.5, 3, -2]);
  const history = [0, 1, 1, 2, 3, 1, 5, 0, 7];
  const o = { ...OFF, repeatPenalty: 1.3, frequencyPenalty: 0.2, presencePenalty: 0.45, repeatLastN: 6 };
  const s = new Sampler(logits.length, o);
  for (const t of history) s.accept(t);
  // llama_sampler_penalties_apply: counts over the window, then per token with count c > 0:
  // logit <= 0 ? logit * repeat : logit / repeat, then minus c * frequency + presence
  const window = history.slice(-o.repeatLastN);
  const expected = Array.from(logits, (l, id) => {
    const c = window.filter((t) => t === id).length;
    if (c === 0) return l;
    return (l <= 0 ? l * o.repeatPenalty : l / o.repeatPenalty) - (c * o.frequencyPenalty + o.presencePenalty);
  });
  assertClose(dense(s, logits), softmax(expected));
  // token 0 left the window once 6 more came (it is back at the end); token 6 never seen
  assert.notEqual(expected[0], logits[0]);
  assert.equal(expected[6], logits[6]);
});

test("penalties change greedy choices; the input logits are never modified", () => {
  const logits = new Float32Array([1, 4, 3.9, 0]);
  const before = logits.slice();
  const s = new Sampler(4, { ...OFF, temperature: 0, repeatPenalty: 1.1 });
  assert.equal(s.sample(logits), 1);
  s.accept(1);
  assert.equal(s.sample(logits), 2, "4 / 1.1 < 3.9");
  assert.deepEqual(logits, before);
});

test("logit bias shifts logits before everything else; -Infinity bans a token", () => {
  const logits = seededLogits(50, 21);
  const bias = { 3: 2.5, 7: -1, [argmax(logits)]: -Infinity };
  const s = new Sampler(logits.length, { ...OFF, logitBias: bias });
  const expected = softmax(Array.from(logits, (l, id) => l + (bias[id] ?? 0)));
  assertClose(dense(s, logits), expected);
  const drawn = new Set(Array.from({ length: 3000 }, () => s.sample(logits)));
  assert.ok(!drawn.has(argmax(logits)));
  assert.throws(() => new Sampler(10, { ...OFF, logitBias: { 10: 1 } }), /outside the vocabulary/);
});

test("every token banned is a clear error", () => {
  const s = new Sampler(3, { ...OFF, logitBias: { 0: -Infinity, 1: -Infinity, 2: -Infinity } });
  assert.throws(() => s.sample(new Float32Array(3)), /-Infinity/);
});

test("typical-p keeps the tokens closest to the entropy until their mass exceeds p", () => {
  const logits = seededLogits(40, 5);
  const p = 0.6;
  const s = new Sampler(logits.length, { ...OFF, typicalP: p });
  // llama_sampler_typical_apply, written out: H = -sum p log p; order by |-log p - H|; keep until cum > p
  const probs = softmax(Array.from(logits));
  const H = -probs.reduce((a, q) => a + q * Math.log(q), 0);
  const order = probs.map((q, id) => ({ id, score: Math.abs(-Math.log(q) - H) })).sort((a, b) => a.score - b.score);
  const kept: number[] = [];
  let cum = 0;
  for (const { id } of order) {
    kept.push(id);
    cum += probs[id]!;
    if (cum > p) break;
  }
  const keptLogits = Array.from(logits, (l, id) => (kept.includes(id) ? l : -Infinity));
  assertClose(dense(s, logits), softmax(keptLogits));
});

test("chain order: top-k, then top-p and min-p on the untempered distribution, then temperature", () => {
  const logits = seededLogits(200, 17);
  const o = { temperature: 2.5, topK: 30, topP: 0.8, minP: 0.08, seed: 3 };
  const s = new Sampler(logits.length, o);
  const sorted = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
  let kept = sorted.slice(0, o.topK);
  const pk = softmax(kept.map((id) => logits[id]!));
  let cum = 0;
  const cut = pk.findIndex((q) => (cum += q) >= o.topP);
  kept = kept.slice(0, cut + 1);
  const top = logits[kept[0]!]!;
  kept = kept.filter((id) => logits[id]! >= top + Math.log(o.minP));
  const expected = Array.from(logits, (l, id) => (kept.includes(id) ? l / o.temperature : -Infinity));
  assertClose(dense(s, logits), softmax(expected));
});

test("top-p over the whole vocabulary: the adaptive first pass and the full sort agree with a plain sort", () => {
  const logits = seededLogits(5000, 29);
  const sorted = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const probs = softmax(Array.from(logits));
  for (const p of [0.05, 0.5, 0.99]) {
    const s = new Sampler(logits.length, { ...OFF, topP: p });
    let cum = 0;
    const n = sorted.findIndex((id) => (cum += probs[id]!) >= p) + 1;
    const count = s.distribution(logits);
    assert.deepEqual(Array.from(s.candidateIds.subarray(0, count)), sorted.slice(0, n), `top-p ${p}`);
  }
});

test("the same seed gives the same tokens with the whole chain on; distribution() draws nothing", () => {
  const logits = seededLogits(3000, 8);
  const o = { temperature: 0.9, topK: 50, topP: 0.9, minP: 0.02, typicalP: 0.95, repeatPenalty: 1.2, frequencyPenalty: 0.1, presencePenalty: 0.1, seed: 77 };
  const run = (peek: boolean) => {
    const s = new Sampler(logits.length, o);
    return Array.from({ length: 40 }, () => {
      if (peek) s.distribution(logits);
      const t = s.sample(logits);
      s.accept(t);
      return t;
    });
  };
  assert.deepEqual(run(false), run(false));
  assert.deepEqual(run(true), run(false));
});

test("topIndices with a large k (heap path) and sortIds agree with a full sort", () => {
  const logits = seededLogits(4000, 31);
  // equal values too: ties go to the lower index
  for (let i = 0; i < 4000; i += 7) logits[i] = 0.5;
  const sorted = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b);
  const out = new Int32Array(4000);
  for (const k of [65, 500, 4000]) {
    assert.equal(topIndices(logits, 4000, k, out), k);
    assert.deepEqual(Array.from(out.subarray(0, k)), sorted.slice(0, k));
  }
  const ids = Int32Array.from(logits.keys()).reverse();
  sortIds(ids, ids.length, logits);
  assert.deepEqual(Array.from(ids), sorted);
});

test("option checks name the bad value", () => {
  const bad = [{ typicalP: 0 }, { repeatPenalty: 0 }, { repeatLastN: -1 }, { frequencyPenalty: NaN }, { logitBias: { 1: NaN } }];
  for (const b of bad) assert.throws(() => new Sampler(10, { ...OFF, ...b }), (e) => isGemmaError(e) && e.code === "BAD_SAMPLING");
});
