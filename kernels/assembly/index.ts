/*
 * The gemma-ts WebAssembly kernels (simd128). All pointers are byte addresses in the imported memory,
 * which the module shares with the TypeScript side (src/kernels/arena.ts); the module keeps no data of
 * its own in it. Built by scripts/build-wasm.mjs.
 *
 * matmul_<type>(w, rows, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd):
 *   out[t·outStride + r] = dot(weight row r, activation row t) for r in [rowBegin, rowEnd), t < nTok,
 *   as f32. Weight rows are contiguous GGUF rows of `cols` elements; activation rows (in the weight
 *   type's vec_dot encoding) are actStride bytes apart; outStride counts floats. `rows` is the matrix
 *   height, for the caller's bookkeeping (the kernels only touch rows in [rowBegin, rowEnd)).
 *
 * attn_scores / attn_values / widen_f64: the dot-product passes of attention (attention.ts).
 * rms_norm / rope_apply / geglu_tanh / geglu_fp16 / add_f32: the per-token elementwise passes (elementwise.ts).
 * tanh_f64: the tanh of the exact-mode GELU, exported for its test against Math.tanh (tanh.ts).
 * stream_read: a plain streaming read, for the bandwidth measurement of scripts/bench.mjs (stream.ts).
 */
import { IQ4_NL, matmul32, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 } from "./blocks32";
import { BF16, F16, F32, matmulF } from "./floats";
import { matmulIQ4_XS, matmulK, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K } from "./kquants";

export { quantize_q8_0, quantize_q8_1, quantize_q8_k } from "./quantize";
export { attn_scores, attn_values, widen_f64 } from "./attention";
export { add_f32, geglu_fp16, geglu_tanh, rms_norm, rope_apply } from "./elementwise";
export { stream_read } from "./stream";
export { tanh as tanh_f64 } from "./tanh";

export function matmul_q8_0(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmul32<Q8_0>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q4_0(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmul32<Q4_0>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q4_1(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmul32<Q4_1>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q5_0(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmul32<Q5_0>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q5_1(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmul32<Q5_1>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_iq4_nl(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmul32<IQ4_NL>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q2_k(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulK<Q2_K>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q3_k(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulK<Q3_K>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q4_k(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulK<Q4_K>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q5_k(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulK<Q5_K>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_q6_k(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulK<Q6_K>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_f32(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulF<F32>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_f16(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulF<F16>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_bf16(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulF<BF16>(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
export function matmul_iq4_xs(w: usize, rows: i32, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32): void {
  matmulIQ4_XS(w, cols, act, actStride, nTok, out, outStride, rowBegin, rowEnd);
}
