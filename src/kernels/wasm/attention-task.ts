import { softcapF32 } from "../ref/attention.js";
import type { AttentionExports } from "./bindings.js";

/*
 * One query head's attention, the unit of work that the calling thread and the pool's workers share
 * (src/kernels/wasm-attention.ts writes the job, pool-protocol.ts hands out heads). Everything it needs is in an
 * argument block of i32 slots in the WebAssembly memory, so that a worker reads it with no message; each head has
 * its own scratch, so heads run in any order on any thread with the same result.
 */

/** Slots of the argument block (i32; float indices unless named). */
export const ARG_Q = 0;
export const ARG_K = 1;
export const ARG_V = 2;
export const ARG_OUT = 3;
export const ARG_NTOK = 4;
export const ARG_POS0 = 5;
export const ARG_HEADS = 6;
export const ARG_KV_HEADS = 7;
export const ARG_HEAD_DIM = 8;
export const ARG_WINDOW = 9;
export const ARG_SLOTS = 10;
/** Byte addresses of head 0's scratch: TILE rows of headDim f64 (queries), TILE rows of SCORE_STRIDE f32 (scores). */
export const ARG_Q64 = 11;
export const ARG_SCORES = 12;
export const ARG_SCORE_STRIDE = 13;
/** The soft-cap as f32 bits (0: none). */
export const ARG_SOFTCAP = 14;
export const ARG_TILE = 15;
export const ARG_SLOTS_COUNT = 16;

/** Runs head `h` of the attention job at float index `args` of `memory`. */
export type AttentionHeadRunner = (args: number, h: number) => void;

/**
 * A runner over `memory` (its views rebuilt when the memory grows). Per tile of TILE query tokens: the scores of
 * head h's queries against every key the tile can see (attn_scores), then per token its softmax over its own causal
 * (and windowed) span, as the reference computes it (Math.exp, the sum in double), and the weighted sum of values
 * (attn_values). Cache slots wrap (position j in slot j % slots), so a span is at most two runs of slots.
 */
export function attentionHeadRunner(wasm: AttentionExports, memory: WebAssembly.Memory): AttentionHeadRunner {
  let heap = new Float32Array(0);
  let i32 = new Int32Array(0);
  return (args, h) => {
    if (heap.buffer !== memory.buffer || heap.length * 4 !== memory.buffer.byteLength) {
      heap = new Float32Array(memory.buffer);
      i32 = new Int32Array(memory.buffer);
    }
    const q = i32[args + ARG_Q]!;
    const kCache = i32[args + ARG_K]!;
    const vCache = i32[args + ARG_V]!;
    const out = i32[args + ARG_OUT]!;
    const nTok = i32[args + ARG_NTOK]!;
    const pos0 = i32[args + ARG_POS0]!;
    const nHeads = i32[args + ARG_HEADS]!;
    const nKvHeads = i32[args + ARG_KV_HEADS]!;
    const headDim = i32[args + ARG_HEAD_DIM]!;
    const window = i32[args + ARG_WINDOW]!;
    const slots = i32[args + ARG_SLOTS]!;
    const scoreStride = i32[args + ARG_SCORE_STRIDE]!;
    const softcap = heap[args + ARG_SOFTCAP]!;
    const tile = i32[args + ARG_TILE]!;
    const q64 = i32[args + ARG_Q64]! + h * tile * headDim * 8;
    const scoresPtr = i32[args + ARG_SCORES]! + h * tile * scoreStride * 4;
    const invCap = Math.fround(1 / softcap);
    const kvStride = nKvHeads * headDim;
    const headOffset = Math.floor(h / (nHeads / nKvHeads)) * headDim;
    const kHead = kCache + headOffset;
    const vHead = vCache + headOffset;
    for (let t0 = 0; t0 < nTok; t0 += tile) {
      const tn = Math.min(tile, nTok - t0);
      const first = pos0 + t0;
      const lo0 = window > 0 ? Math.max(0, first - window + 1) : 0;
      const nKeys = first + tn - lo0;
      for (let t = 0; t < tn; t++) wasm.widen((q + ((t0 + t) * nHeads + h) * headDim) << 2, headDim, q64 + t * headDim * 8);
      const slot0 = lo0 % slots;
      const run0 = Math.min(nKeys, slots - slot0);
      wasm.scores(q64, tn, headDim, (kHead + slot0 * kvStride) << 2, kvStride << 2, run0, scoresPtr, scoreStride);
      if (run0 < nKeys) wasm.scores(q64, tn, headDim, kHead << 2, kvStride << 2, nKeys - run0, scoresPtr + run0 * 4, scoreStride);
      for (let t = 0; t < tn; t++) {
        const p = first + t;
        const lo = window > 0 ? Math.max(0, p - window + 1) : 0;
        const span = p - lo + 1;
        const row = (scoresPtr >>> 2) + t * scoreStride + (lo - lo0);
        softmaxWeights(heap, row, span, softcap, invCap);
        const oh = out + ((t0 + t) * nHeads + h) * headDim;
        heap.fill(0, oh, oh + headDim);
        const slot = lo % slots;
        const run = Math.min(span, slots - slot);
        wasm.values(row << 2, run, (vHead + slot * kvStride) << 2, kvStride << 2, oh << 2, headDim);
        if (run < span) wasm.values((row + run) << 2, span - run, vHead << 2, kvStride << 2, oh << 2, headDim);
      }
    }
  };
}

/**
 * The scores at heap[row ..][span] replaced by their softmax weights, as the reference computes them: optional
 * soft-cap, exp(s - max) rounded to f32, the sum in double, weight = f32(e · f32(1 / sum)).
 */
function softmaxWeights(heap: Float32Array, row: number, span: number, softcap: number, invCap: number): void {
  const end = row + span;
  let max = -Infinity;
  for (let j = row; j < end; j++) {
    let sc = heap[j]!;
    if (softcap > 0) heap[j] = sc = softcapF32(sc, softcap, invCap);
    if (sc > max) max = sc;
  }
  let sum = 0;
  for (let j = row; j < end; j++) {
    const e = Math.fround(Math.exp(heap[j]! - max));
    heap[j] = e;
    sum += e;
  }
  const inv = Math.fround(1 / sum);
  for (let j = row; j < end; j++) heap[j] = Math.fround(heap[j]! * inv);
}
