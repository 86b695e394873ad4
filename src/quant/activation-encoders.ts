import { f32ToBf16, f32ToF16 } from "../util/half.js";
import { writeF32, writeU16 } from "./block-bytes.js";
import { roundHalfEven } from "./rounding.js";

/*
 * Activation rows in the encodings that ggml's CPU backend multiplies quantized weights with: its
 * type_traits_cpu from_float for the weight's vec_dot_type (ggml-org/llama.cpp:ggml/src/ggml-cpu/ggml-cpu.c).
 * Q8_0 and Q8_1 follow the x86 AVX/AVX2 code in ggml/src/ggml-cpu/arch/x86/quants.c, which is what
 * llama.cpp runs on every x86-64 CPU with AVX. It differs from the scalar reference
 * quantize_row_q8_0_ref (used by ggml builds without AVX) in two ways that change bytes: the
 * multiplier is 127/amax rather than 1/(amax/127), and rounding is to nearest-even rather than away
 * from zero. Q8_K has no SIMD variant on x86; it follows quantize_row_q8_K_ref (ggml/src/ggml-quants.c).
 * Each function takes the input index, the number of blocks (or elements) and the output offset.
 */

/** Largest |x| of x[xo..xo+count). */
function absMax(x: Float32Array, xo: number, count: number): number {
  let amax = 0;
  for (let j = 0; j < count; j++) {
    const a = Math.abs(x[xo + j]);
    if (a > amax) amax = a;
  }
  return amax;
}

/**
 * Writes the 32 int8 levels of one Q8_0/Q8_1 block and returns their sum. |x·id| ≤ 127 up to one
 * rounding, so the x86 code's saturating packs never clip.
 */
function writeLevels32(x: Float32Array, xo: number, id: number, out: Uint8Array, qo: number): number {
  let sum = 0;
  for (let j = 0; j < 32; j++) {
    const q = roundHalfEven(Math.fround(x[xo + j] * id));
    out[qo + j] = q;
    sum += q;
  }
  return sum;
}

/** block_q8_0 (34 bytes): f16 d = amax/127, 32 int8 levels. */
export function encodeQ8_0(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 34) {
    const amax = absMax(x, xo, 32);
    writeU16(out, oo, f32ToF16(Math.fround(amax / 127)));
    writeLevels32(x, xo, amax !== 0 ? Math.fround(127 / amax) : 0, out, oo + 2);
  }
}

/** block_q8_1 (36 bytes): f16 d = amax/127, f16 s = d·Σlevels, 32 int8 levels. */
export function encodeQ8_1(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 36) {
    const amax = absMax(x, xo, 32);
    const d = Math.fround(amax / 127);
    const sum = writeLevels32(x, xo, amax !== 0 ? Math.fround(127 / amax) : 0, out, oo + 4);
    writeU16(out, oo, f32ToF16(d));
    writeU16(out, oo + 2, f32ToF16(Math.fround(d * sum)));
  }
}

/**
 * block_q8_K (292 bytes): f32 d, 256 int8 levels, 16 int16 sums of 16 levels each. The scale maps
 * the element of largest magnitude (the first one, on ties) to -127. ggml leaves the sums of an
 * all-zero block unwritten; here they are zero.
 */
export function encodeQ8_K(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 256, oo += 292) {
    let max = 0;
    let amax = 0;
    for (let j = 0; j < 256; j++) {
      const a = Math.abs(x[xo + j]);
      if (a > amax) {
        amax = a;
        max = x[xo + j];
      }
    }
    if (amax === 0) {
      out.fill(0, oo, oo + 292);
      continue;
    }
    const iscale = Math.fround(-127 / max);
    for (let g = 0; g < 16; g++) {
      let sum = 0;
      for (let j = 16 * g; j < 16 * g + 16; j++) {
        const q = Math.min(127, roundHalfEven(Math.fround(iscale * x[xo + j])));
        out[oo + 4 + j] = q;
        sum += q;
      }
      writeU16(out, oo + 260 + 2 * g, sum & 0xffff);
    }
    writeF32(out, oo, Math.fround(1 / iscale));
  }
}

export function encodeF32(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let i = 0; i < n; i++) writeF32(out, oo + 4 * i, x[xo + i]);
}

/** Round to nearest even, as F16C's vcvtps2ph and ggml's scalar conversion. */
export function encodeF16(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let i = 0; i < n; i++) writeU16(out, oo + 2 * i, f32ToF16(x[xo + i]));
}

/** Round to nearest even, NaN kept quiet (ggml_compute_fp32_to_bf16). */
export function encodeBF16(x: Float32Array, xo: number, n: number, out: Uint8Array, oo: number): void {
  for (let i = 0; i < n; i++) writeU16(out, oo + 2 * i, f32ToBf16(x[xo + i]));
}
