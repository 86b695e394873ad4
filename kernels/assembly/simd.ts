/*
 * SIMD helpers shared by the kernels: horizontal reductions and half-precision scale conversion.
 * Every helper is inlined, so the kernels compile to straight-line WebAssembly SIMD (simd128 only).
 */

/** [Σa, Σb, Σc, Σd]: the lane sums of four i32x4 vectors, as one vector. */
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 1, 4, 5), i32x4.shuffle(a, b, 2, 3, 6, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 1, 4, 5), i32x4.shuffle(c, d, 2, 3, 6, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 2, 4, 6), i32x4.shuffle(ab, cd, 1, 3, 5, 7));
}

/**
 * i8 levels of a nibble per byte: the low (upper = false) or high nibbles of the 16 bytes `v`. (An i16
 * shift and the same mask as the low nibbles: V8 rebuilds i8x16.shr_u's byte mask on every use.)
 */
@inline export function nibbles(v: v128, upper: bool): v128 {
  return v128.and(upper ? i16x8.shr_u(v, 4) : v, i8x16.splat(0x0f));
}

/** The IQ4_NL / IQ4_XS levels of 16 nibbles (ggml's kvalues_iq4nl, ggml-org/llama.cpp:ggml/src/ggml-common.h). */
@inline export function iq4Levels(nibble: v128): v128 {
  return i8x16.swizzle(i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113), nibble);
}

/** The sum of the four i32 lanes of `a`. */
@inline export function hsum(a: v128): i32 {
  const t = i32x4.add(a, i32x4.shuffle(a, a, 2, 3, 0, 1));
  return i32x4.extract_lane(t, 0) + i32x4.extract_lane(t, 1);
}

// 2^112 rebiases a half's exponent field (bias 15) to a single's (bias 127).
const HALF_TO_SINGLE_BIAS: f32 = reinterpret<f32>(0x77800000);

/**
 * Half-precision bit patterns (the low 16 bits of each i32 lane) to f32 lanes, exactly: the magnitude
 * bits shifted into a single's position and multiplied by 2^112 give normals and subnormals; a result of
 * 2^16 or more can only come from the all-ones exponent (inf, NaN), which gets the single's all-ones
 * exponent (the mantissa bits are already in place).
 */
@inline export function halfToF32x4(h: v128): v128 {
  const scaled = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), f32x4.splat(HALF_TO_SINGLE_BIAS));
  const special = v128.and(f32x4.ge(scaled, f32x4.splat(65536)), i32x4.splat(0x7f800000));
  return v128.or(v128.or(scaled, special), i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** One half-precision bit pattern to f32, exactly (as halfToF32x4). */
@inline export function halfToF32(h: u32): f32 {
  const scaled = reinterpret<f32>((h & 0x7fff) << 13) * HALF_TO_SINGLE_BIAS;
  const special: u32 = scaled >= 65536 ? 0x7f800000 : 0;
  return reinterpret<f32>(reinterpret<u32>(scaled) | special | ((h & 0x8000) << 16));
}

/** The f16 at `p` as f32. */
@inline export function loadHalf(p: usize): f32 {
  return halfToF32(<u32>load<u16>(p));
}

/** The f16 values at p0..p3 as f32 lanes. */
@inline export function loadHalf4(p0: usize, p1: usize, p2: usize, p3: usize): v128 {
  let h = v128.load16_lane(p0, i32x4.splat(0), 0);
  h = v128.load16_lane(p1, h, 2);
  h = v128.load16_lane(p2, h, 4);
  h = v128.load16_lane(p3, h, 6);
  return halfToF32x4(h);
}

/** Stores lane `i` of f32x4 `v` at `p` when `i < count` (partial tiles). */
@inline export function storeLanes(v: v128, count: i32, p0: usize, p1: usize, p2: usize, p3: usize): void {
  v128.store32_lane(p0, v, 0);
  if (count > 1) v128.store32_lane(p1, v, 1);
  if (count > 2) v128.store32_lane(p2, v, 2);
  if (count > 3) v128.store32_lane(p3, v, 3);
}

/**
 * f32 to half-precision bits, round to nearest even; overflow gives inf, NaN stays NaN (quiet). The
 * same conversion as F16C's vcvtps2ph, which ggml uses on x86 (and src/util/half.ts's f32ToF16).
 */
export function f32ToHalf(v: f32): u32 {
  const x = reinterpret<u32>(v);
  const sign = (x >> 16) & 0x8000;
  const exp = <i32>((x >> 23) & 0xff);
  let mant = x & 0x7fffff;
  if (exp == 0xff) return sign | 0x7c00 | (mant != 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = <u32>(14 - e);
    const half = <u32>1 << (shift - 1);
    let r = mant >> shift;
    const rem = mant & ((<u32>1 << shift) - 1);
    if (rem > half || (rem == half && (r & 1) != 0)) r++;
    return sign | r;
  }
  let r = (<u32>e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1) != 0)) r++;
  return sign | r;
}
