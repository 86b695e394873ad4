import { attention, attentionEncoded, softcapF32 } from "../kernels/ref/attention.js";
import { ropeAngles } from "../kernels/ref/rope.js";
import type { Kernels } from "../kernels/kernels.js";
import { dequantizeRow } from "../quant/dequantize.js";
import { GgmlType } from "../quant/types.js";
import type { Model } from "../model/model.js";
import type { Activations } from "./activations.js";
import type { BatchPlan } from "./batch.js";
import { storeKvRow } from "./kv-cache.js";

export interface ForwardOptions {
  /** Emulate ggml's f16-table GELU (only for tight comparisons with llama.cpp). */
  readonly fp16Gelu: boolean;
  /**
   * Sees the residual stream [nTok, dModel] (float index) at each stage, for `gemma inspect`: stage 0 is the
   * scaled embedding, stage l + 1 the output of layer l (transformers' output_hidden_states numbering).
   */
  readonly onResidual?: ((stage: number, x: number, nTok: number) => void) | undefined;
}

/**
 * One forward step over the rows of `batch` (at most a.maxBatch; one or more sequences, each at its own positions):
 * appends each row's key and value to its sequence's cache and leaves in a.logits the logits of the `nOut` rows
 * listed in `outRows` (indices into the batch).
 * The layer loop is the same for every Gemma; what differs is read from the config and the per-layer settings.
 */
export function forward(
  model: Model,
  kernels: Kernels,
  a: Activations,
  batch: BatchPlan,
  outRows: ArrayLike<number>,
  opts: ForwardOptions,
): void {
  const c = model.config;
  const w = model.weights;
  const heap = model.arena.heapF32;
  const u8 = model.arena.heapU8;
  const nTok = batch.nTok;
  const tokens = batch.tokens;
  const D = c.dModel;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  const emb = w.tokenEmbedding;
  // the embedding may live in a weight shard of its own (model/weight-placement.ts)
  const embBytes = emb.shard === undefined ? u8 : model.shards![emb.shard]!.arena.heapU8;

  // x = E[token] · sqrt(D)   [nTok, D]
  for (let t = 0; t < nTok; t++) {
    const xt = a.x + t * D;
    dequantizeRow(emb.type, embBytes, emb.ptr + tokens[t]! * emb.rowBytes, heap, xt, D);
    for (let i = 0; i < D; i++) heap[xt + i] *= c.embedScale;
  }
  opts.onResidual?.(0, a.x, nTok);

  for (let l = 0; l < c.nLayers; l++) {
    const L = w.layers[l]!;
    const spec = c.layers[l]!;

    // attention block: xb = norm(x); q, k, v = xb·Wqᵀ, xb·Wkᵀ, xb·Wvᵀ   [nTok, H·hd], [nTok, K·hd]
    for (let t = 0; t < nTok; t++) kernels.rmsNorm(heap, a.x + t * D, L.attnNorm.ptr >>> 2, a.xb + t * D, D, c.normEps);
    kernels.matmul(L.wq, a.xb, nTok, a.q);
    kernels.matmul(L.wk, a.xb, nTok, a.k);
    kernels.matmul(L.wv, a.xb, nTok, a.v);
    for (let s = 0; s < batch.count; s++) {
      const kv = batch.caches[s]![l]!;
      const r0 = batch.start[s]!;
      const n = batch.length[s]!;
      const pos0 = batch.pos0[s]!;
      for (let t = r0; t < r0 + n; t++) {
        const qt = a.q + t * qDim;
        const kt = a.k + t * kvDim;
        if (L.qNorm && L.kNorm) {
          for (let h = 0; h < c.nHeads; h++) kernels.rmsNorm(heap, qt + h * c.headDim, L.qNorm.ptr >>> 2, qt + h * c.headDim, c.headDim, c.normEps);
          for (let h = 0; h < c.nKvHeads; h++) kernels.rmsNorm(heap, kt + h * c.headDim, L.kNorm.ptr >>> 2, kt + h * c.headDim, c.headDim, c.normEps);
        }
        ropeAngles(a.ropeCos, a.ropeSin, pos0 + t - r0, c.headDim, spec.ropeBase, spec.ropeFreqScale);
        kernels.ropeApply(heap, qt, c.nHeads, c.headDim, a.ropeCos, a.ropeSin);
        kernels.ropeApply(heap, kt, c.nKvHeads, c.headDim, a.ropeCos, a.ropeSin);
        for (let i = 0; i < qDim; i++) heap[qt + i] *= c.queryScale;
        storeKvRow(kv, heap, u8, pos0 + t - r0, kt, a.v + t * kvDim, kvDim);
      }
      // each segment attends to its own sequence's cache only (its keys were all written just above)
      const shape = {
        nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim: c.headDim, window: spec.window, softcap: c.attnSoftcap, slots: kv.slots,
        bidirectional: c.bidirectional,
      };
      const q = a.q + r0 * qDim;
      const att = a.att + r0 * qDim;
      // Kernels.attention is causal only: bidirectional (embedding) models run the reference kernel
      if (kv.type === GgmlType.F32 && c.bidirectional) attention(heap, shape, q, kv.k, kv.v, att, n, pos0, a.scores);
      else if (kv.type === GgmlType.F32) kernels.attention(heap, shape, q, kv.k, kv.v, att, n, pos0, a.scores);
      else attentionEncoded(heap, u8, shape, kv.type, q, kv.k * 4, kv.v * 4, att, n, pos0, a.scores);
    }
    kernels.matmul(L.wo, a.att, nTok, a.proj); // [nTok, D]
    residualAdd(kernels, heap, a, L.postAttnNorm?.ptr, nTok, D, c.normEps);

    // feed-forward block: x += norm(Wdown · (gelu(Wgate·xb) ⊙ Wup·xb))
    for (let t = 0; t < nTok; t++) kernels.rmsNorm(heap, a.x + t * D, L.ffnNorm.ptr >>> 2, a.xb + t * D, D, c.normEps);
    kernels.matmul(L.wGate, a.xb, nTok, a.gate); // [nTok, F]
    kernels.matmul(L.wUp, a.xb, nTok, a.up); // [nTok, F]
    kernels.geglu(heap, a.gate, a.up, nTok * c.dFfn, opts.fp16Gelu);
    kernels.matmul(L.wDown, a.gate, nTok, a.proj); // [nTok, D]
    residualAdd(kernels, heap, a, L.postFfnNorm?.ptr, nTok, D, c.normEps);

    opts.onResidual?.(l + 1, a.x, nTok);
  }

  // logits of the requested rows: norm, tied LM head, optional soft-cap   [nOut, vocab]
  const nOut = outRows.length;
  for (let i = 0; i < nOut; i++) kernels.rmsNorm(heap, a.x + outRows[i]! * D, w.outputNorm.ptr >>> 2, a.xb + i * D, D, c.normEps);
  kernels.matmul(w.output, a.xb, nOut, a.logits);
  if (c.finalSoftcap > 0) {
    const cap = c.finalSoftcap;
    const invCap = Math.fround(1 / cap);
    const end = a.logits + nOut * c.vocabSize;
    for (let i = a.logits; i < end; i++) heap[i] = softcapF32(heap[i]!, cap, invCap);
  }
}

/** x += post-norm(proj) (or x += proj for models without post-norms). */
function residualAdd(
  kernels: Kernels, heap: Float32Array, a: Activations, postNorm: number | undefined, nTok: number, D: number, eps: number,
): void {
  if (postNorm !== undefined) for (let t = 0; t < nTok; t++) kernels.rmsNorm(heap, a.proj + t * D, postNorm >>> 2, a.proj + t * D, D, eps);
  kernels.addInPlace(heap, a.x, a.proj, nTok * D);
}
