import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Arena } from "../../src/kernels/arena.js";
import { attention, type AttentionShape } from "../../src/kernels/ref/attention.js";
import { Random } from "./wasm-random-blocks.js";

/*
 * Bidirectional attention (embedding models): the reference kernel against a float64 attention written here from
 * llama.cpp's mask rule (src/llama-graph.cpp llm_graph_input_attn_no_cache::set_input with causal_attn off, and
 * src/llama-hparams.h is_masked_swa for LLAMA_SWA_TYPE_SYMMETRIC: key j is masked when j - p < -floor(n/2) or
 * j - p > floor(n/2)). The whole input is one batch starting at position 0, as for an embedding. (The kernels'
 * attention, Kernels.attention, is causal only; the forward pass runs this reference for bidirectional models.)
 */

interface Case {
  readonly shape: AttentionShape;
  readonly nTok: number;
}

const CASES: readonly Case[] = [
  { shape: { nHeads: 4, nKvHeads: 2, headDim: 8, window: 0, softcap: 0, slots: 21, bidirectional: true }, nTok: 21 },
  { shape: { nHeads: 4, nKvHeads: 2, headDim: 8, window: 8, softcap: 0, slots: 21, bidirectional: true }, nTok: 21 },
  { shape: { nHeads: 3, nKvHeads: 1, headDim: 12, window: 7, softcap: 0, slots: 19, bidirectional: true }, nTok: 19 },
  { shape: { nHeads: 2, nKvHeads: 2, headDim: 256, window: 4, softcap: 20, slots: 11, bidirectional: true }, nTok: 11 },
  { shape: { nHeads: 8, nKvHeads: 4, headDim: 4, window: 64, softcap: 0, slots: 30, bidirectional: true }, nTok: 30 },
];

/** out[t, h] = Σ_j softmax_j(q·k_j) v_j over the keys llama.cpp's symmetric mask lets through, in float64. */
function naive(heap: Float32Array, s: AttentionShape, q: number, k: number, v: number, nTok: number): Float64Array {
  const out = new Float64Array(nTok * s.nHeads * s.headDim);
  const half = Math.floor(s.window / 2);
  const group = s.nHeads / s.nKvHeads;
  for (let p = 0; p < nTok; p++) {
    for (let h = 0; h < s.nHeads; h++) {
      const g = Math.floor(h / group);
      const keys: number[] = [];
      for (let j = 0; j < nTok; j++) if (s.window === 0 || Math.abs(j - p) <= half) keys.push(j);
      const sc = keys.map((j) => {
        let dot = 0;
        for (let d = 0; d < s.headDim; d++) dot += heap[q + (p * s.nHeads + h) * s.headDim + d]! * heap[k + (j * s.nKvHeads + g) * s.headDim + d]!;
        return s.softcap > 0 ? s.softcap * Math.tanh(dot / s.softcap) : dot;
      });
      const max = Math.max(...sc);
      const e = sc.map((x) => Math.exp(x - max));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < s.headDim; d++) {
        let acc = 0;
        keys.forEach((j, i) => (acc += (e[i]! / sum) * heap[v + (j * s.nKvHeads + g) * s.headDim + d]!));
        out[(p * s.nHeads + h) * s.headDim + d] = acc;
      }
    }
  }
  return out;
}

describe("bidirectional attention", () => {
  for (const [i, { shape: s, nTok }] of CASES.entries()) {
    it(`case ${i}: ${s.nHeads}/${s.nKvHeads} heads of ${s.headDim}, window ${s.window}, softcap ${s.softcap}, ${nTok} tokens`, () => {
      const arena = new Arena({ initialBytes: 4 << 20 });
      const f = (n: number) => arena.alloc(n * 4) >> 2;
      const qDim = s.nHeads * s.headDim;
      const kvDim = s.nKvHeads * s.headDim;
      const q = f(nTok * qDim);
      const k = f(s.slots * kvDim);
      const v = f(s.slots * kvDim);
      const outRef = f(nTok * qDim);
      const heap = arena.heapF32;
      const rng = new Random(0xb1d + i);
      for (let j = q; j < q + nTok * qDim; j++) heap[j] = (rng.next() * 2 - 1) * (4 / Math.sqrt(s.headDim));
      for (let j = k; j < k + s.slots * kvDim; j++) heap[j] = rng.next() * 2 - 1;
      for (let j = v; j < v + s.slots * kvDim; j++) heap[j] = rng.next() * 2 - 1;
      const scores = new Float32Array(s.slots);
      attention(heap, s, q, k, v, outRef, nTok, 0, scores);
      const expected = naive(heap, s, q, k, v, nTok);
      let worst = 0;
      for (let j = 0; j < nTok * qDim; j++) worst = Math.max(worst, Math.abs(heap[outRef + j]! - expected[j]!));
      assert.ok(worst < 1e-5, `reference vs float64: ${worst}`);
    });
  }

  it("a causal shape still sees no later key", () => {
    const s: AttentionShape = { nHeads: 1, nKvHeads: 1, headDim: 4, window: 0, softcap: 0, slots: 3 };
    const arena = new Arena();
    const f = (n: number) => arena.alloc(n * 4) >> 2;
    const [q, k, v, out] = [f(12), f(12), f(12), f(12)];
    const heap = arena.heapF32;
    heap.fill(1, q, q + 12);
    heap.fill(0, k, k + 12);
    heap.set([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], v);
    attention(heap, s, q, k, v, out, 3, 0, new Float32Array(3));
    // equal scores: position p averages the values of positions 0..p
    assert.deepEqual([...heap.subarray(out, out + 12)], [1, 1, 1, 1, 1.5, 1.5, 1.5, 1.5, 2, 2, 2, 2]);
  });
});
