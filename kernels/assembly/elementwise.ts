import { f32ToHalf } from "./simd";
import { tanh } from "./tanh";

/*
 * The per-token elementwise passes of the forward step, twins of src/kernels/ref/norm.ts, rope.ts, gelu.ts and
 * residual.ts, which compute in JavaScript doubles and round on each store to a Float32Array. Each pass here keeps
 * the reference's roundings, so the results are the same bits:
 *
 *  - rms_norm: Σ x² in f64, in order (one scalar chain, as the reference's loop), the scale rounded to f32;
 *    then y = f32(x·scale)·w. A double product of two f32 rounded once to f32 is the f32 product, so the
 *    second loop runs in f32x4.
 *  - rope_apply: a·cos − b·sin and a·sin + b·cos with exact f64 products and the sum rounded to f64 then to
 *    f32, as the reference's expression, so in f64x2 (never f32, which would round each product).
 *  - geglu_tanh: the tanh GELU in f64 as the reference's expression, with tanh as V8's Math.tanh (tanh.ts),
 *    times up, rounded once to f32.
 *  - geglu_fp16: ggml's f16-table GELU (looked up after rounding the input to f16, |x| >= 10 passed through)
 *    times up, one f32 rounding as the reference's double product stored to f32.
 *  - add_f32: x += y; the f64 sum of two f32 rounded to f32 equals the f32 sum (53 >= 2·24 + 2 bits).
 */

/** y[i] = f32(x[i]·scale)·w[i] with scale = f32(1 / sqrt(f32(Σ x² / n) + eps)); n floats at x, w, y (y may be x). */
export function rms_norm(x: usize, w: usize, y: usize, n: i32, eps: f64): void {
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    sum += v * v;
  }
  const scale = <f32>(1 / Math.sqrt(<f64><f32>(sum / <f64>n) + eps));
  const s4 = f32x4.splat(scale);
  const end = <usize>n << 2;
  let p: usize = 0;
  for (; p + 16 <= end; p += 16) v128.store(y + p, f32x4.mul(f32x4.mul(v128.load(x + p), s4), v128.load(w + p)));
  for (; p < end; p += 4) store<f32>(y + p, load<f32>(x + p) * scale * load<f32>(w + p));
}

/** Two f32 at p as f64 lanes. */
@inline function widen2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/**
 * Rotates nHeads heads of headDim floats at x in place (element j with j + headDim/2, the NEOX layout) by the
 * angles whose headDim/2 cosines and then headDim/2 sines are at cs.
 */
export function rope_apply(x: usize, nHeads: i32, headDim: i32, cs: usize): void {
  const half = <usize>(headDim >> 1);
  const halfBytes = half << 2;
  const sn = cs + halfBytes;
  for (let h = 0; h < nHeads; h++) {
    const lo = x + <usize>h * (<usize>headDim << 2);
    const hi = lo + halfBytes;
    let p: usize = 0;
    for (; p + 8 <= halfBytes; p += 8) {
      const a = widen2(lo + p), b = widen2(hi + p), c = widen2(cs + p), s = widen2(sn + p);
      v128.store64_lane(lo + p, f32x4.demote_f64x2_zero(f64x2.sub(f64x2.mul(a, c), f64x2.mul(b, s))), 0);
      v128.store64_lane(hi + p, f32x4.demote_f64x2_zero(f64x2.add(f64x2.mul(a, s), f64x2.mul(b, c))), 0);
    }
    for (; p < halfBytes; p += 4) {
      const a = <f64>load<f32>(lo + p), b = <f64>load<f32>(hi + p), c = <f64>load<f32>(cs + p), s = <f64>load<f32>(sn + p);
      store<f32>(lo + p, <f32>(a * c - b * s));
      store<f32>(hi + p, <f32>(a * s + b * c));
    }
  }
}

// √(2/π) rounded to f64, the value of ref/gelu.ts's Math.sqrt(2 / Math.PI) (a literal: a computed global would need a start function)
const SQRT_2_OVER_PI: f64 = 0.7978845608028654;

/** gate[i] = f32(gelu(gate[i])·up[i]) for n floats, gelu(x) = 0.5·x·(1 + tanh(√(2/π)·x·(1 + 0.044715·x²))) in f64. */
export function geglu_tanh(gate: usize, up: usize, n: i32): void {
  for (let p: usize = 0, end = <usize>n << 2; p < end; p += 4) {
    const x = <f64>load<f32>(gate + p);
    const g = 0.5 * x * (1 + tanh(SQRT_2_OVER_PI * x * (1 + 0.044715 * x * x)));
    store<f32>(gate + p, <f32>(g * <f64>load<f32>(up + p)));
  }
}

/** gate[i] = gelu(gate[i])·up[i] for n floats, gelu from the 65536-entry f32 table (by f16 bits) at table. */
export function geglu_fp16(gate: usize, up: usize, n: i32, table: usize): void {
  for (let p: usize = 0, end = <usize>n << 2; p < end; p += 4) {
    const v = load<f32>(gate + p);
    let g: f32;
    if (v <= -10) g = 0;
    else if (v >= 10) g = v;
    else g = load<f32>(table + (<usize>f32ToHalf(v) << 2));
    store<f32>(gate + p, g * load<f32>(up + p));
  }
}

/** x[i] += y[i] for n floats. */
export function add_f32(x: usize, y: usize, n: i32): void {
  const end = <usize>n << 2;
  let p: usize = 0;
  for (; p + 16 <= end; p += 16) v128.store(x + p, f32x4.add(v128.load(x + p), v128.load(y + p)));
  for (; p < end; p += 4) store<f32>(x + p, load<f32>(x + p) + load<f32>(y + p));
}
