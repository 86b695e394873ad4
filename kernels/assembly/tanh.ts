/*
 * tanh in f64, the same function as V8's Math.tanh, operation for operation, so that the exact-mode GELU gives the
 * reference's bits (src/kernels/ref/gelu.ts calls Math.tanh). V8 computes Math.tanh with its port of fdlibm
 * (v8/v8:src/base/ieee754.cc tanh and expm1, from FreeBSD msun s_tanh.c / s_expm1.c): tanh(x) through
 * expm1(±2|x|), and expm1 by reduction to r = x - k·ln2 and a rational approximation of r. Written here for the
 * arguments tanh passes (|x| < 44): the overflow, non-finite and tiny-argument paths of expm1 cannot be reached.
 * test/kernels/wasm-elementwise.test.ts compares the GELU built on it with the reference's, bit for bit.
 */

const LN2_HI: f64 = 6.93147180369123816490e-01; // ln 2 rounded to 32 significant bits: k·LN2_HI is exact
const LN2_LO: f64 = 1.90821492927058770002e-10; // ln 2 - LN2_HI
const INV_LN2: f64 = 1.44269504088896338700e+00;
// the rational approximation's coefficients (fdlibm's Q1..Q5)
const C1: f64 = -3.33333333333331316428e-02;
const C2: f64 = 1.58730158725481460165e-03;
const C3: f64 = -7.93650757867487942473e-05;
const C4: f64 = 4.00821782732936239552e-06;
const C5: f64 = -2.01099218183624371326e-07;

/** The high 32 bits of x's encoding. */
@inline function highWord(x: f64): i32 {
  return <i32>(reinterpret<u64>(x) >> 32);
}

/** x with its high 32 bits replaced by `high`, the low ones kept. */
@inline function withHighWord(x: f64, high: i32): f64 {
  return reinterpret<f64>((reinterpret<u64>(x) & 0xffffffff) | (<u64><u32>high << 32));
}

/** 2^k for |k| < 1023. */
@inline function pow2(k: i32): f64 {
  return reinterpret<f64>(<u64>(0x3ff + k) << 52);
}

/** e^x - 1 for 2^-28 <= |x| < 44. */
function expm1(x: f64): f64 {
  const hx = highWord(x) & 0x7fffffff;
  const negative = x < 0;
  let k = 0;
  let c: f64 = 0;
  if (hx > 0x3fd62e42) {
    // |x| > ln2/2: x = k·ln2 + (hi - lo), the reduced argument kept as x and the rounding of hi - lo as c
    let hi: f64, lo: f64;
    if (hx < 0x3ff0a2b2) {
      // |x| < 1.5·ln2: k = ±1
      if (!negative) {
        hi = x - LN2_HI; lo = LN2_LO; k = 1;
      } else {
        hi = x + LN2_HI; lo = -LN2_LO; k = -1;
      }
    } else {
      k = <i32>(INV_LN2 * x + (negative ? -0.5 : 0.5));
      const t = <f64>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
    c = (hi - x) - lo;
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1.0 + hxs * (C1 + hxs * (C2 + hxs * (C3 + hxs * (C4 + hxs * C5))));
  const t = 3.0 - r1 * hfx;
  let e = hxs * ((r1 - t) / (6.0 - x * t));
  if (k == 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k == -1) return 0.5 * (x - e) - 0.5;
  if (k == 1) return x < -0.25 ? -2.0 * (e - (x + 0.5)) : 1.0 + 2.0 * (x - e);
  if (k <= -2 || k > 56) return (1.0 - (e - x)) * pow2(k) - 1.0;
  if (k < 20) return (withHighWord(1.0, 0x3ff00000 - (0x200000 >> k)) - (e - x)) * pow2(k); // 1 - 2^-k - (e - x)
  return ((x - (e + pow2(-k))) + 1.0) * pow2(k);
}

/** tanh(x), bit for bit as V8's Math.tanh. */
export function tanh(x: f64): f64 {
  const jx = highWord(x);
  const ix = jx & 0x7fffffff;
  if (ix >= 0x7ff00000) return jx >= 0 ? 1.0 / x + 1.0 : 1.0 / x - 1.0; // ±inf: ±1; NaN stays NaN
  let z: f64;
  if (ix < 0x40360000) {
    // |x| < 22
    if (ix < 0x3e300000) return x; // |x| < 2^-28: tanh(x) rounds to x
    if (ix >= 0x3ff00000) {
      z = 1.0 - 2.0 / (expm1(2.0 * abs(x)) + 2.0);
    } else {
      const t = expm1(-2.0 * abs(x));
      z = -t / (t + 2.0);
    }
  } else {
    z = 1.0; // |x| >= 22: 1 - 1e-300, which rounds to 1
  }
  return jx >= 0 ? z : -z;
}
