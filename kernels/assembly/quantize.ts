import { f32ToHalf } from "./simd";

/*
 * Activation quantizers, byte for byte those of src/quant/activation-encoders.ts (which follow ggml's x86
 * quantize_row_q8_0 / _q8_1 in ggml-org/llama.cpp:ggml/src/ggml-cpu/arch/x86/quants.c and
 * quantize_row_q8_K_ref in ggml/src/ggml-quants.c): amax in f32, levels rounded to nearest even.
 */

/** Largest |x| over `count` floats at `x` (a multiple of 16); NaNs are ignored, as in the reference's `a > amax`. */
@inline function absMax(x: usize, count: usize): f32 {
  let m0 = f32x4.splat(0), m1 = f32x4.splat(0), m2 = f32x4.splat(0), m3 = f32x4.splat(0);
  for (let p = x, end = x + (count << 2); p < end; p += 64) {
    m0 = f32x4.pmax(m0, f32x4.abs(v128.load(p)));
    m1 = f32x4.pmax(m1, f32x4.abs(v128.load(p + 16)));
    m2 = f32x4.pmax(m2, f32x4.abs(v128.load(p + 32)));
    m3 = f32x4.pmax(m3, f32x4.abs(v128.load(p + 48)));
  }
  const m = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  return max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
}

/** 16 floats at `x` times `scale`, rounded to nearest even, as 16 int8 (|x·scale| ≤ 127 by construction). */
@inline function levels16(x: usize, scale: v128): v128 {
  const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x), scale)));
  const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + 16), scale)));
  const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + 32), scale)));
  const q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(x + 48), scale)));
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/** The sum of the 16 int8 lanes of `v`. */
@inline function sumLevels(v: v128): i32 {
  const s = i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(v));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}

/** Writes one 32-element block's levels at `q` (multiplier 127/amax) and returns its scale d = amax/127. */
@inline function block32(x: usize, q: usize): f32 {
  const amax = absMax(x, 32);
  const scale = f32x4.splat(amax != 0 ? <f32>127 / amax : 0);
  v128.store(q, levels16(x, scale));
  v128.store(q + 16, levels16(x + 64, scale));
  return amax / 127;
}

/** n floats at x (n a multiple of 32) to Q8_0 blocks at out: f16 d = amax/127, 32 int8 levels. */
export function quantize_q8_0(x: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i += 32, x += 128, out += 34) {
    store<u16>(out, f32ToHalf(block32(x, out + 2)));
  }
}

/** n floats at x (n a multiple of 32) to Q8_1 blocks at out: f16 d, f16 s = d·Σlevels, 32 int8 levels. */
export function quantize_q8_1(x: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i += 32, x += 128, out += 36) {
    const d = block32(x, out + 4);
    const sum = sumLevels(v128.load(out + 4)) + sumLevels(v128.load(out + 20));
    store<u16>(out, f32ToHalf(d));
    store<u16>(out + 2, f32ToHalf(d * <f32>sum));
  }
}

/**
 * n floats at x (n a multiple of 256) to Q8_K blocks at out: f32 d, 256 int8 levels scaled so that the
 * element of largest magnitude (the first, on ties) maps to -127, 16 int16 sums of 16 levels.
 */
export function quantize_q8_k(x: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i += 256, x += 1024, out += 292) {
    const amax = absMax(x, 256);
    if (amax == 0) {
      memory.fill(out, 0, 292);
      continue;
    }
    let j: usize = 0;
    while (abs(load<f32>(x + (j << 2))) != amax) j++;
    const iscale = <f32>-127 / load<f32>(x + (j << 2));
    const scale = f32x4.splat(iscale);
    const top = i8x16.splat(127);
    for (let g: usize = 0; g < 16; g++) {
      const q = i8x16.min_s(levels16(x + (g << 6), scale), top);
      v128.store(out + 4 + (g << 4), q);
      store<i16>(out + 260 + (g << 1), <i16>sumLevels(q));
    }
    store<f32>(out, <f32>1 / iscale);
  }
}
