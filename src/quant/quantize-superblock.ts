import { f32ToF16 } from "../util/half.js";
import { readF16, writeU16 } from "./block-bytes.js";

/*
 * ggml's reference quantizers for the 256-element K-quant super-blocks, quantize_row_q4_K_ref and
 * quantize_row_q6_K_ref (ggml-org/llama.cpp:ggml/src/ggml-quants.c): what ggml_quantize_chunk, and so
 * llama-quantize, writes when no importance matrix is given. Both search for the sub-block scales that
 * minimise a weighted squared error, so every float operation is repeated here in f32 (Math.fround
 * after each one, in C's evaluation order; ggml-base is built without FMA contraction).
 */

const f = Math.fround;
/**
 * ggml's nearest_int: adding 1.5·2^23 in f32 leaves the nearest integer (ties to even) in the low mantissa bits,
 * for |v| <= 2^22 - 1, the range ggml asserts.
 */
function nearestInt(v: number): number {
  return f(v + 12582912) - 12582912;
}

/** ggml-quants.c GROUP_MAX_EPS: sub-blocks whose largest magnitude is below it are all zero. */
const GROUP_MAX_EPS = f(1e-15);

// Scratch, reused by every call (quantizing allocates nothing per block).
const levels = new Uint8Array(256);
const trial = new Uint8Array(32);
const weights = new Float32Array(32);
const subScales = new Float32Array(16);
const subMins = new Float32Array(8);
const minOut = new Float32Array(1);

/**
 * ggml's make_qkx2_quants: levels 0..nmax with a scale and a min (x ≈ scale·level - min) for n values,
 * starting from the range's own scale and then trying nstep+1 nearby scales, each refit by weighted least
 * squares; the fit with the smallest weighted squared error wins. Levels go to levels[lo..lo+n), the
 * min (as a non-negative offset) to minOut[0]; returns the scale.
 */
function fitScaleAndMin(n: number, nmax: number, x: Float32Array, xo: number, lo: number, rmin: number, rdelta: number, nstep: number): number {
  let min = x[xo];
  let max = x[xo];
  let sumW = weights[0];
  let sumX = f(sumW * x[xo]);
  for (let i = 1; i < n; i++) {
    const v = x[xo + i];
    if (v < min) min = v;
    if (v > max) max = v;
    const w = weights[i];
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * v));
  }
  if (min > 0) min = 0;
  if (max === min) {
    levels.fill(0, lo, lo + n);
    minOut[0] = -min;
    return 0;
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(x[xo + i] - min)))));
    levels[lo + i] = l;
    const diff = f(f(f(scale * l) + min) - x[xo + i]);
    bestError = f(bestError + f(weights[i] * f(diff * diff)));
  }
  for (let is = 0; is <= nstep; is++) {
    // max - min again: an accepted fit moves the min, and later trials start from it.
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let changed = is === 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(x[xo + i] - min)))));
      if (trial[i] !== l) changed = true;
      trial[i] = l;
    }
    // The fit depends on the levels alone: the same levels as the previous trial give the same error, which
    // cannot beat the best (it either became the best or did not beat it). ggml recomputes; skipping is exact.
    if (!changed) continue;
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = trial[i];
      const wl = f(weights[i] * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * x[xo + i]));
    }
    const det = f(f(sumW * sumL2) - f(sumL * sumL));
    if (!(det > 0)) continue;
    let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / det);
    let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / det);
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = f(sumXL / sumL2);
    }
    let error = 0;
    for (let i = 0; i < n; i++) {
      const diff = f(f(f(thisScale * trial[i]) + thisMin) - x[xo + i]);
      error = f(error + f(weights[i] * f(diff * diff)));
    }
    if (error < bestError) {
      for (let i = 0; i < n; i++) levels[lo + i] = trial[i];
      bestError = error;
      scale = thisScale;
      min = thisMin;
    }
  }
  minOut[0] = -min;
  return scale;
}

function symmetricLevel(iscale: number, v: number, nmax: number): number {
  return Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * v))));
}

/**
 * ggml's make_qx_quants with rmse_type 1 and no importance weights: symmetric levels -nmax..nmax-1
 * (stored as level + nmax) for n values, weighted by x², from the scale -nmax/max and 18 nearby ones,
 * keeping the least-squares scale that explains the most. Returns the scale.
 */
function fitSymmetricScale(n: number, nmax: number, x: Float32Array, xo: number, lo: number): number {
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xo + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xo + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    levels.fill(0, lo, lo + n);
    return 0;
  }
  let iscale = f(-nmax / max);
  let sumLX = 0;
  let sumL2 = 0;
  for (let i = 0; i < n; i++) {
    const v = x[xo + i];
    const l = symmetricLevel(iscale, v, nmax);
    levels[lo + i] = l + nmax;
    const w = f(v * v);
    sumLX = f(sumLX + f(f(w * v) * l));
    sumL2 = f(sumL2 + f(f(w * l) * l));
  }
  let scale = sumL2 !== 0 ? f(sumLX / sumL2) : 0;
  let best = f(scale * sumLX);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f(-f(nmax + f(f(0.1) * is)) / max);
    sumLX = 0;
    sumL2 = 0;
    for (let i = 0; i < n; i++) {
      const v = x[xo + i];
      const l = symmetricLevel(iscale, v, nmax);
      const w = f(v * v);
      sumLX = f(sumLX + f(f(w * v) * l));
      sumL2 = f(sumL2 + f(f(w * l) * l));
    }
    if (sumL2 > 0 && f(sumLX * sumLX) > f(best * sumL2)) {
      for (let i = 0; i < n; i++) levels[lo + i] = symmetricLevel(iscale, x[xo + i], nmax) + nmax;
      scale = f(sumLX / sumL2);
      best = f(scale * sumLX);
    }
  }
  return scale;
}

/**
 * Q4_K (144 bytes: f16 d, f16 dmin, 12 bytes of 6-bit sub-block scales and mins, 128 bytes of nibbles):
 * eight 32-element sub-blocks, each fitted with weights sqrt(mean x²) + |x|, their scales and mins then
 * quantized to 6 bits against the largest of each, and the levels recomputed from the stored values.
 */
export function quantizeQ4_K(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 256, oo += 144) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 8; j++) {
      const so = xo + 32 * j;
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(x[so + l] * x[so + l]));
      const avX = f(Math.sqrt(f(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(x[so + l]));
      subScales[j] = fitScaleAndMin(32, 15, x, so, 32 * j, -1, f(0.1), 20);
      subMins[j] = minOut[0];
      if (subScales[j] > maxScale) maxScale = subScales[j];
      if (subMins[j] > maxMin) maxMin = subMins[j];
    }
    const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
    const sc = oo + 4;
    out.fill(0, sc, sc + 12);
    for (let j = 0; j < 8; j++) {
      // C stores nearest_int into a uint8_t before clamping to 63.
      const ls = Math.min(63, nearestInt(f(invScale * subScales[j])) & 0xff);
      const lm = Math.min(63, nearestInt(f(invMin * subMins[j])) & 0xff);
      if (j < 4) {
        out[sc + j] = ls;
        out[sc + j + 4] = lm;
      } else {
        out[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        out[sc + j - 4] |= (ls >> 4) << 6;
        out[sc + j] |= (lm >> 4) << 6;
      }
    }
    writeU16(out, oo, f32ToF16(f(maxScale / 63)));
    writeU16(out, oo + 2, f32ToF16(f(maxMin / 63)));
    const d = readF16(out, oo);
    const dmin = readF16(out, oo + 2);
    for (let j = 0; j < 8; j++) {
      const s = j < 4 ? out[sc + j] & 63 : (out[sc + j + 4] & 0xf) | ((out[sc + j - 4] >> 6) << 4);
      const m = j < 4 ? out[sc + j + 4] & 63 : (out[sc + j + 4] >> 4) | ((out[sc + j] >> 6) << 4);
      const ds = f(d * s);
      if (ds === 0) continue; // the sub-block keeps its fitted levels
      const dm = f(dmin * m);
      for (let i = 0; i < 32; i++) {
        levels[32 * j + i] = Math.max(0, Math.min(15, nearestInt(f(f(x[xo + 32 * j + i] + dm) / ds))));
      }
    }
    const qs = oo + 16;
    for (let j = 0; j < 4; j++) {
      for (let l = 0; l < 32; l++) out[qs + 32 * j + l] = levels[64 * j + l] | (levels[64 * j + l + 32] << 4);
    }
  }
}

/**
 * Q6_K (210 bytes: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 signed 8-bit sub-block
 * scales, f16 d): sixteen 16-element sub-blocks fitted by fitSymmetricScale, their scales quantized to
 * int8 against the one of largest magnitude, and the levels recomputed from the stored values.
 */
export function quantizeQ6_K(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 256, oo += 210) {
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = fitSymmetricScale(16, 32, x, xo + 16 * ib, 16 * ib);
      subScales[ib] = scale;
      if (Math.abs(scale) > maxAbsScale) {
        maxAbsScale = Math.abs(scale);
        maxScale = scale;
      }
    }
    out.fill(0, oo, oo + 210);
    if (maxAbsScale < GROUP_MAX_EPS) continue;
    const sc = oo + 192;
    const iscale = f(-128 / maxScale);
    writeU16(out, oo + 208, f32ToF16(f(1 / iscale)));
    for (let ib = 0; ib < 16; ib++) out[sc + ib] = Math.min(127, nearestInt(f(iscale * subScales[ib]))) & 0xff;
    const d = readF16(out, oo + 208);
    for (let j = 0; j < 16; j++) {
      const ds = f(d * ((out[sc + j] << 24) >> 24));
      if (ds === 0) continue; // the sub-block keeps its fitted levels
      for (let i = 0; i < 16; i++) {
        levels[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(f(x[xo + 16 * j + i] / ds)))) + 32;
      }
    }
    for (let half = 0; half < 2; half++) {
      const ql = oo + 64 * half;
      const qh = oo + 128 + 32 * half;
      const L = 128 * half;
      for (let l = 0; l < 32; l++) {
        const l0 = levels[L + l];
        const l1 = levels[L + l + 32];
        const l2 = levels[L + l + 64];
        const l3 = levels[L + l + 96];
        out[ql + l] = (l0 & 0xf) | ((l2 & 0xf) << 4);
        out[ql + l + 32] = (l1 & 0xf) | ((l3 & 0xf) << 4);
        out[qh + l] = (l0 >> 4) | ((l1 >> 4) << 2) | ((l2 >> 4) << 4) | ((l3 >> 4) << 6);
      }
    }
  }
}
