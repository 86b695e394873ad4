/**
 * Causal grouped-query attention of a batch of queries against one layer's KV cache, in f32 as llama.cpp runs it
 * with an f32 cache and flash attention off: scores q·k (q already scaled), optional soft-cap
 * cap·tanh(s/cap) before the softmax (Gemma 2; ggml-org/llama.cpp:src/llama-graph.cpp build_attn_mha), softmax
 * with the sum in double, then the weighted sum of values.
 */
export interface AttentionShape {
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  /** Keys visible to position p: p - window < j <= p; 0 = all earlier positions. */
  readonly window: number;
  readonly softcap: number;
  /** Cache slots; position j lives in slot j % slots. */
  readonly slots: number;
}

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
  const { nHeads, nKvHeads, headDim, window, softcap, slots } = s;
  const group = nHeads / nKvHeads;
  const invCap = Math.fround(1 / softcap);
  const kvStride = nKvHeads * headDim;
  for (let t = 0; t < nTok; t++) {
    const p = pos0 + t;
    const lo = window > 0 ? Math.max(0, p - window + 1) : 0;
    const span = p - lo + 1;
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
      let sum = 0;
      for (let j = 0; j < span; j++) {
        const e = Math.fround(Math.exp(scores[j]! - max));
        scores[j] = e;
        sum += e;
      }
      const inv = Math.fround(1 / sum);
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

/** cap·tanh(s/cap) with each step in f32, as ggml's scale, tanh, scale sequence computes it. */
export function softcapF32(s: number, cap: number, invCap: number): number {
  return Math.fround(cap * Math.fround(Math.tanh(Math.fround(s * invCap))));
}
