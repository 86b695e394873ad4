import type { Matrix } from "../model/weights.js";
import type { AttentionShape } from "./ref/attention.js";

/**
 * The matrix products, attention and per-token elementwise passes of the forward pass. The plain-TypeScript reference
 * (kernels/ref) and the WebAssembly kernels implement the same contract and are judged by one test suite.
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
  /** y = RMSNorm(x)·w over n floats of heap (float indices; y may equal x), as src/kernels/ref/norm.ts's rmsNorm. */
  rmsNorm(heap: Float32Array, x: number, w: number, y: number, n: number, eps: number): void;
  /** Rotates nHeads heads of headDim floats at x in place by the angles in cos/sin, as ref/rope.ts's ropeApply. */
  ropeApply(heap: Float32Array, x: number, nHeads: number, headDim: number, cos: Float32Array, sin: Float32Array): void;
  /** gate = gelu(gate)·up over n floats (fp16: ggml's f16-table GELU), as ref/gelu.ts's geglu. */
  geglu(heap: Float32Array, gate: number, up: number, n: number, fp16: boolean): void;
  /** x += y over n floats, as ref/residual.ts's addInPlace. */
  addInPlace(heap: Float32Array, x: number, y: number, n: number): void;
}
