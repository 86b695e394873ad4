import type { Matrix } from "../model/weights.js";
import type { AttentionShape } from "./ref/attention.js";

/**
 * The matrix products and attention of the forward pass. The plain-TypeScript reference (kernels/ref) and the WebAssembly
 * kernels implement the same contract and are judged by one test suite.
 */
export interface Kernels {
  readonly name: string;
  /**
   * y[t, r] = W[r, :] · x[t, :] for t < nTok, with x quantized to W's activation type first, as llama.cpp does.
   * x and y are float indices into the arena's f32 heap: x is [nTok, W.cols], y is [nTok, W.rows].
   */
  matmul(w: Matrix, x: number, nTok: number, y: number): void;
  /** Causal attention of nTok queries against one layer's f32 KV cache, as src/kernels/ref/attention.ts's `attention`. */
  attention(
    heap: Float32Array, s: AttentionShape, q: number, kCache: number, vCache: number, out: number, nTok: number, pos0: number,
    scores: Float32Array,
  ): void;
}
