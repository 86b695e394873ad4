import { readF16, readF32, readI16, readI8 } from "./block-bytes.js";
import { IQ4_LEVELS } from "./iq4-values.js";
import { unpackScaleMinK4, unpackScalesIQ4_XS, unpackScalesQ3_K } from "./superblock-decode.js";

/*
 * Dot products of 256-element super-block weights with Q8_K activation blocks, as ggml's scalar
 * ggml_vec_dot_*_q8_K (ggml-org/llama.cpp:ggml/src/ggml-cpu/quants.c). Integer sums are exact; the
 * f32 scaling and accumulation follow ggml's operation order, Math.fround after every f32 operation.
 * Q3_K..Q6_K accumulate, like ggml, in 8 lanes (element index mod 8): per block each lane's integer
 * sum is scaled in f32 and added to that lane's f32 total; the lane totals are added at the end.
 * All integer sums stay below 2^24 in magnitude, so their conversion to f32 in ggml is exact.
 * Weights are unpacked on the fly (block layouts as in superblock-decode.ts, which dequantization
 * uses); unrolling by the 8 lanes keeps the integer sums in registers.
 *
 * block_q8_K: f32 d at 0, int8 levels at 4, int16 sums of each 16 levels at 260.
 */

const f = Math.fround;
const A_LEVELS = 4;
const A_SUMS = 260;
const A_BYTES = 292;

const scales = new Int32Array(16);
const mins = new Int32Array(8);
const laneSums = new Float64Array(8);

/** Adds one block's lane sums, scaled by d, to the f32 lane totals. */
function addLanes(d: number, l0: number, l1: number, l2: number, l3: number, l4: number, l5: number, l6: number, l7: number): void {
  laneSums[0] = f(laneSums[0] + f(d * l0));
  laneSums[1] = f(laneSums[1] + f(d * l1));
  laneSums[2] = f(laneSums[2] + f(d * l2));
  laneSums[3] = f(laneSums[3] + f(d * l3));
  laneSums[4] = f(laneSums[4] + f(d * l4));
  laneSums[5] = f(laneSums[5] + f(d * l5));
  laneSums[6] = f(laneSums[6] + f(d * l6));
  laneSums[7] = f(laneSums[7] + f(d * l7));
}

/** `sum` plus the 8 lane totals, added in lane order. */
function withLanes(sum: number): number {
  for (let l = 0; l < 8; l++) sum = f(sum + laneSums[l]);
  return sum;
}

/** Σ bsums[j]·mins[j/2] over the 16 activation group sums: the min part of Q4_K/Q5_K. */
function minDot(a: Uint8Array, ao: number): number {
  let isum = 0;
  for (let j = 0; j < 16; j++) isum += readI16(a, ao + A_SUMS + 2 * j) * mins[j >> 1];
  return isum;
}

/** Q2_K: sum += fl(da·dw)·Σ scale·(Σ level·a) - fl(da·dminw)·Σ min·bsum, no lanes. */
export function dotQ2_K(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 84, ao += A_BYTES) {
    let minSum = 0;
    for (let j = 0; j < 16; j++) minSum += readI16(a, ao + A_SUMS + 2 * j) * (w[wo + j] >> 4);
    let isum = 0;
    for (let k = 0; k < 2; k++) {
      const q = wo + 16 + 32 * k;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        const x = ao + A_LEVELS + 128 * k + 32 * j;
        for (let half = 0; half < 32; half += 16) {
          let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
          for (let l = half; l < half + 16; l += 4) {
            t0 += ((w[q + l] >> shift) & 3) * readI8(a, x + l);
            t1 += ((w[q + l + 1] >> shift) & 3) * readI8(a, x + l + 1);
            t2 += ((w[q + l + 2] >> shift) & 3) * readI8(a, x + l + 2);
            t3 += ((w[q + l + 3] >> shift) & 3) * readI8(a, x + l + 3);
          }
          isum += (w[wo + 8 * k + 2 * j + (half >> 4)] & 0x0f) * (t0 + t1 + t2 + t3);
        }
      }
    }
    const da = readF32(a, ao);
    const dall = f(da * readF16(w, wo + 80));
    const dmin = f(da * readF16(w, wo + 82));
    sum = f(sum + f(f(dall * isum) - f(dmin * minSum)));
  }
  return sum;
}

/** Q3_K: level = 2 low bits - (hmask bit clear ? 4 : 0), sub-blocks of 16 with signed 6-bit scales. */
export function dotQ3_K(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  laneSums.fill(0);
  for (let b = 0; b < nb; b++, wo += 110, ao += A_BYTES) {
    unpackScalesQ3_K(w, wo + 96, scales);
    let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
    for (let k = 0; k < 2; k++) {
      const q = wo + 32 + 32 * k;
      for (let j = 0; j < 4; j++) {
        const shift = 2 * j;
        const hbit = 4 * k + j;
        const x = ao + A_LEVELS + 128 * k + 32 * j;
        for (let half = 0; half < 32; half += 16) {
          let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
          for (let l = half; l < half + 16; l += 8) {
            t0 += q3Level(w, q, wo, l, shift, hbit) * readI8(a, x + l);
            t1 += q3Level(w, q, wo, l + 1, shift, hbit) * readI8(a, x + l + 1);
            t2 += q3Level(w, q, wo, l + 2, shift, hbit) * readI8(a, x + l + 2);
            t3 += q3Level(w, q, wo, l + 3, shift, hbit) * readI8(a, x + l + 3);
            t4 += q3Level(w, q, wo, l + 4, shift, hbit) * readI8(a, x + l + 4);
            t5 += q3Level(w, q, wo, l + 5, shift, hbit) * readI8(a, x + l + 5);
            t6 += q3Level(w, q, wo, l + 6, shift, hbit) * readI8(a, x + l + 6);
            t7 += q3Level(w, q, wo, l + 7, shift, hbit) * readI8(a, x + l + 7);
          }
          const s = scales[8 * k + 2 * j + (half >> 4)];
          l0 += s * t0; l1 += s * t1; l2 += s * t2; l3 += s * t3;
          l4 += s * t4; l5 += s * t5; l6 += s * t6; l7 += s * t7;
        }
      }
    }
    addLanes(f(readF16(w, wo + 108) * readF32(a, ao)), l0, l1, l2, l3, l4, l5, l6, l7);
  }
  return withLanes(0);
}

/** Level l of a Q3_K 32-element group: bits `shift` of qs[q + l], minus 4 unless hmask[l] has bit `hbit`. */
function q3Level(w: Uint8Array, q: number, hmask: number, l: number, shift: number, hbit: number): number {
  return ((w[q + l] >> shift) & 3) - ((((w[hmask + l] >> hbit) & 1) ^ 1) << 2);
}

/** Q4_K: nibble levels, 8 sub-blocks of 32 with 6-bit scales and mins. */
export function dotQ4_K(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  laneSums.fill(0);
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 144, ao += A_BYTES) {
    unpackScaleMinK4(w, wo + 4, scales, mins);
    let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
    for (let k = 0; k < 4; k++) {
      const q = wo + 16 + 32 * k;
      const x = ao + A_LEVELS + 64 * k;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
      let u0 = 0, u1 = 0, u2 = 0, u3 = 0, u4 = 0, u5 = 0, u6 = 0, u7 = 0;
      for (let j = 0; j < 32; j += 8) {
        let v = w[q + j];
        t0 += (v & 0x0f) * readI8(a, x + j); u0 += (v >> 4) * readI8(a, x + 32 + j);
        v = w[q + j + 1];
        t1 += (v & 0x0f) * readI8(a, x + j + 1); u1 += (v >> 4) * readI8(a, x + 33 + j);
        v = w[q + j + 2];
        t2 += (v & 0x0f) * readI8(a, x + j + 2); u2 += (v >> 4) * readI8(a, x + 34 + j);
        v = w[q + j + 3];
        t3 += (v & 0x0f) * readI8(a, x + j + 3); u3 += (v >> 4) * readI8(a, x + 35 + j);
        v = w[q + j + 4];
        t4 += (v & 0x0f) * readI8(a, x + j + 4); u4 += (v >> 4) * readI8(a, x + 36 + j);
        v = w[q + j + 5];
        t5 += (v & 0x0f) * readI8(a, x + j + 5); u5 += (v >> 4) * readI8(a, x + 37 + j);
        v = w[q + j + 6];
        t6 += (v & 0x0f) * readI8(a, x + j + 6); u6 += (v >> 4) * readI8(a, x + 38 + j);
        v = w[q + j + 7];
        t7 += (v & 0x0f) * readI8(a, x + j + 7); u7 += (v >> 4) * readI8(a, x + 39 + j);
      }
      const s = scales[2 * k];
      const r = scales[2 * k + 1];
      l0 += s * t0 + r * u0; l1 += s * t1 + r * u1; l2 += s * t2 + r * u2; l3 += s * t3 + r * u3;
      l4 += s * t4 + r * u4; l5 += s * t5 + r * u5; l6 += s * t6 + r * u6; l7 += s * t7 + r * u7;
    }
    const da = readF32(a, ao);
    addLanes(f(readF16(w, wo) * da), l0, l1, l2, l3, l4, l5, l6, l7);
    sum = f(sum - f(f(readF16(w, wo + 2) * da) * minDot(a, ao)));
  }
  return withLanes(sum);
}

/** Q5_K: Q4_K's nibbles plus a fifth bit from qh (bit 2k for sub-block 2k, 2k+1 for 2k+1). */
export function dotQ5_K(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  laneSums.fill(0);
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 176, ao += A_BYTES) {
    unpackScaleMinK4(w, wo + 4, scales, mins);
    const qh = wo + 16;
    let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
    for (let k = 0; k < 4; k++) {
      const q = wo + 48 + 32 * k;
      const x = ao + A_LEVELS + 64 * k;
      const lo = 2 * k;
      const hi = 2 * k + 1;
      let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
      let u0 = 0, u1 = 0, u2 = 0, u3 = 0, u4 = 0, u5 = 0, u6 = 0, u7 = 0;
      for (let j = 0; j < 32; j += 8) {
        let v = w[q + j], h = w[qh + j];
        t0 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j);
        u0 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 32 + j);
        v = w[q + j + 1]; h = w[qh + j + 1];
        t1 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 1);
        u1 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 33 + j);
        v = w[q + j + 2]; h = w[qh + j + 2];
        t2 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 2);
        u2 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 34 + j);
        v = w[q + j + 3]; h = w[qh + j + 3];
        t3 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 3);
        u3 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 35 + j);
        v = w[q + j + 4]; h = w[qh + j + 4];
        t4 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 4);
        u4 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 36 + j);
        v = w[q + j + 5]; h = w[qh + j + 5];
        t5 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 5);
        u5 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 37 + j);
        v = w[q + j + 6]; h = w[qh + j + 6];
        t6 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 6);
        u6 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 38 + j);
        v = w[q + j + 7]; h = w[qh + j + 7];
        t7 += ((v & 0x0f) | (((h >> lo) & 1) << 4)) * readI8(a, x + j + 7);
        u7 += ((v >> 4) | (((h >> hi) & 1) << 4)) * readI8(a, x + 39 + j);
      }
      const s = scales[lo];
      const r = scales[hi];
      l0 += s * t0 + r * u0; l1 += s * t1 + r * u1; l2 += s * t2 + r * u2; l3 += s * t3 + r * u3;
      l4 += s * t4 + r * u4; l5 += s * t5 + r * u5; l6 += s * t6 + r * u6; l7 += s * t7 + r * u7;
    }
    const da = readF32(a, ao);
    addLanes(f(readF16(w, wo) * da), l0, l1, l2, l3, l4, l5, l6, l7);
    sum = f(sum - f(f(readF16(w, wo + 2) * da) * minDot(a, ao)));
  }
  return withLanes(sum);
}

/**
 * Q6_K: level = (4 bits of ql | 2 bits of qh << 4) - 32, 16 sub-blocks of 16 with int8 scales.
 * Each 128-element half is four 32-element parts p = 0..3 taking the low (p < 2) or high (p ≥ 2)
 * nibbles of ql bytes 0..31 (p even) or 32..63 (p odd) and bit pair p of the 32 qh bytes. Parts p
 * and p+2 share their ql bytes, so they are summed together (t and u) from one read of each byte.
 */
export function dotQ6_K(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  laneSums.fill(0);
  for (let b = 0; b < nb; b++, wo += 210, ao += A_BYTES) {
    let l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0, l6 = 0, l7 = 0;
    for (let k = 0; k < 2; k++) {
      const qh = wo + 128 + 32 * k;
      for (let p = 0; p < 2; p++) {
        const ql = wo + 64 * k + 32 * p;
        const lowBits = 2 * p;
        const highBits = 2 * p + 4;
        const x = ao + A_LEVELS + 128 * k + 32 * p;
        for (let half = 0; half < 32; half += 16) {
          let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
          let u0 = 0, u1 = 0, u2 = 0, u3 = 0, u4 = 0, u5 = 0, u6 = 0, u7 = 0;
          for (let l = half; l < half + 16; l += 8) {
            let v = w[ql + l], h = w[qh + l];
            t0 += q6Low(v, h, lowBits) * readI8(a, x + l); u0 += q6High(v, h, highBits) * readI8(a, x + 64 + l);
            v = w[ql + l + 1]; h = w[qh + l + 1];
            t1 += q6Low(v, h, lowBits) * readI8(a, x + l + 1); u1 += q6High(v, h, highBits) * readI8(a, x + 65 + l);
            v = w[ql + l + 2]; h = w[qh + l + 2];
            t2 += q6Low(v, h, lowBits) * readI8(a, x + l + 2); u2 += q6High(v, h, highBits) * readI8(a, x + 66 + l);
            v = w[ql + l + 3]; h = w[qh + l + 3];
            t3 += q6Low(v, h, lowBits) * readI8(a, x + l + 3); u3 += q6High(v, h, highBits) * readI8(a, x + 67 + l);
            v = w[ql + l + 4]; h = w[qh + l + 4];
            t4 += q6Low(v, h, lowBits) * readI8(a, x + l + 4); u4 += q6High(v, h, highBits) * readI8(a, x + 68 + l);
            v = w[ql + l + 5]; h = w[qh + l + 5];
            t5 += q6Low(v, h, lowBits) * readI8(a, x + l + 5); u5 += q6High(v, h, highBits) * readI8(a, x + 69 + l);
            v = w[ql + l + 6]; h = w[qh + l + 6];
            t6 += q6Low(v, h, lowBits) * readI8(a, x + l + 6); u6 += q6High(v, h, highBits) * readI8(a, x + 70 + l);
            v = w[ql + l + 7]; h = w[qh + l + 7];
            t7 += q6Low(v, h, lowBits) * readI8(a, x + l + 7); u7 += q6High(v, h, highBits) * readI8(a, x + 71 + l);
          }
          const sb = wo + 192 + 8 * k + 2 * p + (half >> 4);
          const s = readI8(w, sb);
          const r = readI8(w, sb + 4);
          l0 += s * t0 + r * u0; l1 += s * t1 + r * u1; l2 += s * t2 + r * u2; l3 += s * t3 + r * u3;
          l4 += s * t4 + r * u4; l5 += s * t5 + r * u5; l6 += s * t6 + r * u6; l7 += s * t7 + r * u7;
        }
      }
    }
    addLanes(f(readF16(w, wo + 208) * readF32(a, ao)), l0, l1, l2, l3, l4, l5, l6, l7);
  }
  return withLanes(0);
}

/** Level from the low nibble of ql byte v and bit pair `bits` of qh byte h. */
function q6Low(v: number, h: number, bits: number): number {
  return ((v & 0x0f) | (((h >> bits) & 3) << 4)) - 32;
}

/** Level from the high nibble of ql byte v and bit pair `bits` of qh byte h. */
function q6High(v: number, h: number, bits: number): number {
  return ((v >> 4) | (((h >> bits) & 3) << 4)) - 32;
}

/** IQ4_XS: per 32-element sub-block, sum += fl(fl(dw·da)·scale)·Σ level·a, no lanes. */
export function dotIQ4_XS(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 136, ao += A_BYTES) {
    unpackScalesIQ4_XS(w, wo, scales);
    const d = f(readF16(w, wo) * readF32(a, ao));
    for (let s = 0; s < 8; s++) {
      const q = wo + 8 + 16 * s;
      const x = ao + A_LEVELS + 32 * s;
      let t0 = 0, t1 = 0;
      for (let j = 0; j < 16; j++) {
        const v = w[q + j];
        t0 += IQ4_LEVELS[v & 0x0f] * readI8(a, x + j);
        t1 += IQ4_LEVELS[v >> 4] * readI8(a, x + 16 + j);
      }
      sum = f(sum + f(f(d * scales[s]) * (t0 + t1)));
    }
  }
  return sum;
}
