import { bf16ToF32 } from "../util/half.js";
import { readF16, readF32 } from "./block-bytes.js";

/*
 * Dot products of float rows with float rows of the same type, as ggml's scalar ggml_vec_dot_f32 /
 * _f16 / _bf16 (ggml-org/llama.cpp:ggml/src/ggml-cpu/vec.cpp): each product rounded to f32, the sum
 * kept in double (ggml_float), the result rounded to f32. Products of two halves or two bfloat16s are
 * exact in f32. Each function takes the element count, the weight row and the activation row.
 */

export function dotF32(n: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.fround(readF32(w, wo + 4 * i) * readF32(a, ao + 4 * i));
  return Math.fround(sum);
}

export function dotF16(n: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let i = 0; i < 2 * n; i += 2) sum += readF16(w, wo + i) * readF16(a, ao + i);
  return Math.fround(sum);
}

export function dotBF16(n: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let i = 0; i < 2 * n; i += 2) {
    sum += bf16ToF32(w[wo + i] | (w[wo + i + 1] << 8)) * bf16ToF32(a[ao + i] | (a[ao + i + 1] << 8));
  }
  return Math.fround(sum);
}
