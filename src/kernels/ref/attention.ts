import { quantizeActivationRow } from "../../quant/activations.js";
import { readF16 } from "../../quant/block-bytes.js";
import { dequantizeRow } from "../../quant/dequantize.js";
import { vecDot } from "../../quant/dot.js";
import { F16_TO_F32 } from "../../quant/f16-table.js";
import { GgmlType, rowBytes } from "../../quant/types.js";
import { f32ToF16 } from "../../util/half.js";

export interface AttentionShape {
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  /** Keys visible to position p (causal): p - window < j <= p; 0 = all earlier positions. */
  readonly window: number;
  readonly softcap: number;
  /** Cache slots; position j lives in slot j % slots. */
  readonly slots: number;
  /**
   * Queries also see later keys, up to the newest one written (pos0 + nTok - 1), and a window is symmetric:
   * |j - p| <= floor(window / 2), as llama.cpp's LLAMA_SWA_TYPE_SYMMETRIC mask with causal_attn off
   * (ggml-org/llama.cpp:src/llama-hparams.h is_masked_swa) and transformers' bidirectional Gemma 3 with
   * sliding_window // 2 + 1 (embedding models; absent: causal).
   */
  readonly bidirectional?: boolean;
}

/** First key position the query at position p sees. */
export function firstKey(s: AttentionShape, p: number): number {
  if (s.window === 0) return 0;
  return Math.max(0, p - (s.bidirectional === true ? s.window >> 1 : s.window - 1));
}

/** Last key position the query at position p sees, `newest` being the newest position in the cache. */
export function lastKey(s: AttentionShape, p: number, newest: number): number {
  if (s.bidirectional !== true) return p;
  return s.window === 0 ? newest : Math.min(newest, p + (s.window >> 1));
}

/**
 * Causal (for embedding models: bidirectional) grouped-query attention of a batch of queries against one layer's KV
 * cache, in f32 as llama.cpp runs it with an f32 cache and flash attention off: scores q·k (q already scaled), optional soft-cap
 * cap·tanh(s/cap) before the softmax (Gemma 2; ggml-org/llama.cpp:src/llama-graph.cpp build_attn_mha), softmax
 * with the sum in double, then the weighted sum of values.
 */
export function attention(
  heap: Float32Array,
  s: AttentionShape,
  q: number, // [nTok, nHeads, headDim]
  kCache: number, // [slots, nKvHeads, headDim]
  vCache: number, // [slots, nKvHeads, headDim]
  out: number, // [nTok, nHeads, headDim]
  nTok: number,
  pos0: number, // position of the first query
  scores: Float32Array, // scratch, at least min(window or pos0 + nTok, ...) long
): void {
  const { nHeads, nKvHeads, headDim, softcap, slots } = s;
  const group = nHeads / nKvHeads;
  const invCap = Math.fround(1 / softcap);
  const kvStride = nKvHeads * headDim;
  for (let t = 0; t < nTok; t++) {
    const p = pos0 + t;
    const lo = firstKey(s, p);
    const span = lastKey(s, p, pos0 + nTok - 1) - lo + 1;
    for (let h = 0; h < nHeads; h++) {
      const qh = q + (t * nHeads + h) * headDim;
      const kvh = Math.floor(h / group) * headDim;
      let max = -Infinity;
      for (let j = 0; j < span; j++) {
        const kj = kCache + ((lo + j) % slots) * kvStride + kvh;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += heap[qh + d]! * heap[kj + d]!;
        let sc = Math.fround(dot);
        if (softcap > 0) sc = softcapF32(sc, softcap, invCap);
        scores[j] = sc;
        if (sc > max) max = sc;
      }
      const inv = expScores(scores, span, max);
      const oh = out + (t * nHeads + h) * headDim;
      for (let d = 0; d < headDim; d++) heap[oh + d] = 0;
      for (let j = 0; j < span; j++) {
        const w = Math.fround(scores[j]! * inv);
        const vj = vCache + ((lo + j) % slots) * kvStride + kvh;
        for (let d = 0; d < headDim; d++) heap[oh + d] += w * heap[vj + d]!;
      }
    }
  }
}

/**
 * attention() over an f16 or q8_0 cache (kByte, vByte: byte addresses; each slot holds nKvHeads rows of headDim
 * elements of `type`), with the roundings llama.cpp's CPU backend applies to such a cache
 * (ggml-org/llama.cpp:src/llama-graph.cpp build_attn_mha, ggml/src/ggml-cpu/ops.cpp flash_attn_ext):
 * - f16, flash attention off: K·Q is a matrix product with an f16 K, so each query head is rounded to f16 first;
 *   the softmax weights are rounded to f16 likewise before the product with the f16 V.
 * - q8_0 (llama.cpp needs flash attention for a quantized V): each query head is encoded as Q8_0 activations and
 *   dotted with the Q8_0 keys in integers; the weighted sum runs in f32 over V rows dequantized to f32.
 */
export function attentionEncoded(
  heap: Float32Array,
  u8: Uint8Array,
  s: AttentionShape,
  type: number,
  q: number, // float index [nTok, nHeads, headDim]
  kByte: number, // [slots, nKvHeads, headDim] of `type`
  vByte: number,
  out: number, // float index [nTok, nHeads, headDim]
  nTok: number,
  pos0: number,
  scores: Float32Array,
): void {
  const { nHeads, nKvHeads, headDim, softcap, slots } = s;
  const group = nHeads / nKvHeads;
  const invCap = Math.fround(1 / softcap);
  const headBytes = rowBytes(type, headDim);
  const slotBytes = nKvHeads * headBytes;
  const f16 = type === GgmlType.F16;
  const { qEnc, vRow } = scratchFor(headBytes, headDim);
  for (let t = 0; t < nTok; t++) {
    const p = pos0 + t;
    const lo = firstKey(s, p);
    const span = lastKey(s, p, pos0 + nTok - 1) - lo + 1;
    for (let h = 0; h < nHeads; h++) {
      const qh = q + (t * nHeads + h) * headDim;
      const kvh = Math.floor(h / group) * headBytes;
      quantizeActivationRow(type, heap, qh, headDim, qEnc, 0);
      let max = -Infinity;
      for (let j = 0; j < span; j++) {
        let sc = vecDot(type, headDim, u8, kByte + ((lo + j) % slots) * slotBytes + kvh, qEnc, 0);
        if (softcap > 0) sc = softcapF32(sc, softcap, invCap);
        scores[j] = sc;
        if (sc > max) max = sc;
      }
      const inv = expScores(scores, span, max);
      const oh = out + (t * nHeads + h) * headDim;
      if (f16) {
        // Σ_j f16(w_j)·v_j[d]: products of halves are exact; the sum in double, rounded once (ggml_vec_dot_f16).
        for (let j = 0; j < span; j++) scores[j] = F16_TO_F32[f32ToF16(Math.fround(scores[j]! * inv))]!;
        for (let d = 0; d < headDim; d++) {
          let acc = 0;
          for (let j = 0; j < span; j++) acc += scores[j]! * readF16(u8, vByte + ((lo + j) % slots) * slotBytes + kvh + 2 * d);
          heap[oh + d] = Math.fround(acc);
        }
      } else {
        for (let d = 0; d < headDim; d++) heap[oh + d] = 0;
        for (let j = 0; j < span; j++) {
          const w = Math.fround(scores[j]! * inv);
          dequantizeRow(type, u8, vByte + ((lo + j) % slots) * slotBytes + kvh, vRow, 0, headDim);
          for (let d = 0; d < headDim; d++) heap[oh + d] += w * vRow[d]!;
        }
      }
    }
  }
}

/** scores[j] = exp(scores[j] - max) in f32 for j < span; returns 1 / Σ with the sum in double (ggml's soft_max). */
function expScores(scores: Float32Array, span: number, max: number): number {
  let sum = 0;
  for (let j = 0; j < span; j++) {
    const e = Math.fround(Math.exp(scores[j]! - max));
    scores[j] = e;
    sum += e;
  }
  return Math.fround(1 / sum);
}

let scratch = { qEnc: new Uint8Array(0), vRow: new Float32Array(0) };
/** Per-head scratch rows, grown once to the largest head seen (the loops allocate nothing). */
function scratchFor(headBytes: number, headDim: number): { qEnc: Uint8Array; vRow: Float32Array } {
  if (scratch.qEnc.length < headBytes || scratch.vRow.length < headDim) {
    scratch = { qEnc: new Uint8Array(headBytes), vRow: new Float32Array(headDim) };
  }
  return scratch;
}

/** cap·tanh(s/cap) with each step in f32, as ggml's scale, tanh, scale sequence computes it. */
export function softcapF32(s: number, cap: number, invCap: number): number {
  return Math.fround(cap * Math.fround(Math.tanh(Math.fround(s * invCap))));
}
