import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Arena } from "../../src/kernels/arena.js";
import { attention, type AttentionShape } from "../../src/kernels/ref/attention.js";
import { createWasmAttention } from "../../src/kernels/wasm-attention.js";
import { createWasmKernels, type WasmKernels } from "../../src/kernels/wasm/index.js";
import type { KernelPool } from "../../src/kernels/wasm/pool.js";
import { createNodeKernelPool } from "../../src/platform/node/worker-pool.js";
import { Random, randomFloats } from "./wasm-random-blocks.js";

/*
 * The WebAssembly attention (dot-product passes in WebAssembly, softmax in TypeScript) against its reference twin,
 * src/kernels/ref/attention.ts, on random queries and caches: every output float must be bit-identical. The cases
 * cover grouped-query sharing (1, 2 and 4 heads per KV head), sliding windows, ring caches whose spans wrap past
 * the last slot, soft-capping, batches not a multiple of the kernels' tiles, and head sizes 4, 12 and 256; each on the
 * calling thread alone and with the heads shared among a pool of three threads.
 */

interface Case {
  readonly shape: AttentionShape;
  readonly nTok: number;
  readonly pos0: number;
}

const CASES: readonly Case[] = [
  { shape: { nHeads: 4, nKvHeads: 1, headDim: 256, window: 0, softcap: 0, slots: 64 }, nTok: 13, pos0: 0 },
  { shape: { nHeads: 4, nKvHeads: 1, headDim: 256, window: 0, softcap: 0, slots: 64 }, nTok: 1, pos0: 40 },
  { shape: { nHeads: 4, nKvHeads: 2, headDim: 12, window: 5, softcap: 0, slots: 12 }, nTok: 8, pos0: 9 },
  { shape: { nHeads: 3, nKvHeads: 3, headDim: 4, window: 0, softcap: 30, slots: 40 }, nTok: 17, pos0: 3 },
  { shape: { nHeads: 8, nKvHeads: 4, headDim: 12, window: 7, softcap: 50, slots: 10 }, nTok: 3, pos0: 21 },
  { shape: { nHeads: 2, nKvHeads: 1, headDim: 256, window: 16, softcap: 0, slots: 16 + 9 - 1 }, nTok: 9, pos0: 30 },
];

describe("WebAssembly attention vs the reference twin", () => {
  const arena = new Arena({ initialBytes: 8 << 20, shared: true });
  let single: WasmKernels;
  let pool: KernelPool;
  before(async () => {
    single = await createWasmKernels(arena.memory);
    pool = await createNodeKernelPool(arena.memory, 3, { minWorkPerThread: 0, spin: 2000 });
  });
  after(async () => {
    await pool.close();
  });

  for (const [i, { shape, nTok, pos0 }] of CASES.entries()) {
    const s = shape;
    for (const threads of [1, 3]) {
      it(`case ${i}: ${s.nHeads} heads / ${s.nKvHeads} KV heads of ${s.headDim}, window ${s.window}, softcap ${s.softcap}, ` +
        `${s.slots} slots, ${nTok} tokens at ${pos0}, ${threads} thread(s)`, () => {
        const run = createWasmAttention(arena, threads === 1 ? single : pool, { nHeads: s.nHeads, headDim: s.headDim, maxSlots: s.slots });
        const f = (n: number) => arena.alloc(n * 4) >> 2;
        const qDim = s.nHeads * s.headDim;
        const kvDim = s.nKvHeads * s.headDim;
        const q = f(nTok * qDim);
        const k = f(s.slots * kvDim);
        const v = f(s.slots * kvDim);
        const outRef = f(nTok * qDim);
        const outWasm = f(nTok * qDim);
        const heap = arena.heapF32;
        const rng = new Random(0x5eed + i);
        // Scores spread over several units so that the softmax weights differ widely.
        randomFloats(heap, q, nTok * qDim, rng, 4 / Math.sqrt(s.headDim));
        randomFloats(heap, k, s.slots * kvDim, rng, 1);
        randomFloats(heap, v, s.slots * kvDim, rng, 1);
        const scores = new Float32Array(s.slots);
        attention(heap, s, q, k, v, outRef, nTok, pos0, scores);
        heap.fill(Number.NaN, outWasm, outWasm + nTok * qDim);
        run(heap, s, q, k, v, outWasm, nTok, pos0, scores);
        for (let j = 0; j < nTok * qDim; j++) {
          const want = heap[outRef + j]!;
          const got = heap[outWasm + j]!;
          assert.ok(Object.is(got, want), `token ${Math.floor(j / qDim)}, head ${Math.floor((j % qDim) / s.headDim)}, element ${j % s.headDim}: wasm ${got}, reference ${want}`);
        }
      });
    }
  }
});
