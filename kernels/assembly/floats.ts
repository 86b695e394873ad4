import { halfToF32x4, halfToF32 } from "./simd";

/*
 * Matrix products for float weights (F32, F16, BF16) against activations of the same type, as ggml's
 * scalar ggml_vec_dot_f32 / _f16 / _bf16 (ggml-org/llama.cpp:ggml/src/ggml-cpu/vec.cpp): each product
 * rounded to f32 (exact for F16 and BF16), the sum kept in f64, the result rounded to f32. The f64 sum is
 * split over four lanes, so it can differ from the sequential one in the last bits of the f64 value,
 * which almost never changes the f32 result.
 */

@final @unmanaged export class F32 {
  @inline bytes(): usize { return 4; }
  @inline load4(p: usize): v128 { return v128.load(p); }
  @inline load1(p: usize): f32 { return load<f32>(p); }
}

@final @unmanaged export class F16 {
  @inline bytes(): usize { return 2; }
  @inline load4(p: usize): v128 { return halfToF32x4(v128.load16x4_u(p)); }
  @inline load1(p: usize): f32 { return halfToF32(<u32>load<u16>(p)); }
}

@final @unmanaged export class BF16 {
  @inline bytes(): usize { return 2; }
  @inline load4(p: usize): v128 { return i32x4.shl(v128.load16x4_u(p), 16); }
  @inline load1(p: usize): f32 { return reinterpret<f32>(<u32>load<u16>(p) << 16); }
}


/** f64 lanes += the low two (accLow) or high two (accHigh) f32 lanes of `prod`. */
@inline function accLow(acc: v128, prod: v128): v128 { return f64x2.add(acc, f64x2.promote_low_f32x4(prod)); }
@inline function accHigh(acc: v128, prod: v128): v128 {
  return f64x2.add(acc, f64x2.promote_low_f32x4(i32x4.shuffle(prod, prod, 2, 3, 2, 3)));
}

/** The f32 rounding of the sum of the f64 lanes of lo and hi plus `tail`. */
@inline function total(lo: v128, hi: v128, tail: f64): f32 {
  const s = f64x2.add(lo, hi);
  return <f32>(f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1) + tail);
}

/**
 * Rows [rowBegin, rowEnd) against `count` tokens at activation row a0; the tile size is sizeof<TT>(), 1
 * or 4, as in kquants.ts's tileK (missing tokens of a 4-tile repeat the last one and are not stored).
 */
@inline function tileF<D, TT>(
  w: usize, cols: i32, a0: usize, actStride: usize, count: i32, out: usize, outRow: usize, rowBegin: i32, rowEnd: i32,
): void {
  const d = changetype<D>(0);
  const T = sizeof<TT>();
  const rowBytes = <usize>cols * d.bytes();
  const a1 = count > 1 ? a0 + actStride : a0;
  const a2 = count > 2 ? a1 + actStride : a1;
  const a3 = count > 3 ? a2 + actStride : a2;
  const body = rowBytes & ~(4 * d.bytes() - 1);
  const zero = f64x2.splat(0);
  for (let r = rowBegin; r < rowEnd; r++) {
    const row = w + <usize>r * rowBytes;
    let lo0 = zero, hi0 = zero, lo1 = zero, hi1 = zero, lo2 = zero, hi2 = zero, lo3 = zero, hi3 = zero;
    for (let off: usize = 0; off < body; off += 4 * d.bytes()) {
      const w4 = d.load4(row + off);
      let p = f32x4.mul(w4, d.load4(a0 + off));
      lo0 = accLow(lo0, p); hi0 = accHigh(hi0, p);
      if (T > 1) {
        p = f32x4.mul(w4, d.load4(a1 + off));
        lo1 = accLow(lo1, p); hi1 = accHigh(hi1, p);
        p = f32x4.mul(w4, d.load4(a2 + off));
        lo2 = accLow(lo2, p); hi2 = accHigh(hi2, p);
        p = f32x4.mul(w4, d.load4(a3 + off));
        lo3 = accLow(lo3, p); hi3 = accHigh(hi3, p);
      }
    }
    let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0;
    for (let off = body; off < rowBytes; off += d.bytes()) {
      const x = d.load1(row + off);
      t0 += <f64>(x * d.load1(a0 + off));
      if (T > 1) {
        t1 += <f64>(x * d.load1(a1 + off));
        t2 += <f64>(x * d.load1(a2 + off));
        t3 += <f64>(x * d.load1(a3 + off));
      }
    }
    const o = out + (<usize>r << 2);
    store<f32>(o, total(lo0, hi0, t0));
    if (T > 1) {
      if (count > 1) store<f32>(o + outRow, total(lo1, hi1, t1));
      if (count > 2) store<f32>(o + 2 * outRow, total(lo2, hi2, t2));
      if (count > 3) store<f32>(o + 3 * outRow, total(lo3, hi3, t3));
    }
  }
}

/** out[t·outStride + r] = dot(row r, token t), as matmul32 (see blocks32.ts). */
export function matmulF<D>(
  w: usize, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32,
): void {
  const outRow = <usize>outStride << 2;
  let t = 0;
  for (; t + 1 < nTok; t += 4) {
    tileF<D, u32>(w, cols, act + <usize>t * actStride, actStride, min(nTok - t, 4), out + <usize>t * outRow, outRow, rowBegin, rowEnd);
  }
  if (t < nTok) tileF<D, u8>(w, cols, act + <usize>t * actStride, actStride, 1, out + <usize>t * outRow, outRow, rowBegin, rowEnd);
}
