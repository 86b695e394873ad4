import { readF16, readI8, readU32 } from "./block-bytes.js";
import { IQ4_LEVELS } from "./iq4-values.js";

/*
 * Dot products of 32-element weight blocks with Q8_0 / Q8_1 activation blocks, as ggml's scalar
 * ggml_vec_dot_*_q8_* (ggml-org/llama.cpp:ggml/src/ggml-cpu/quants.c): an exact integer sum per block,
 * then f32 scaling and accumulation in ggml's operation order (Math.fround after every f32 operation).
 * Integer sums are split over four accumulators, which is exact and lets the JIT overlap them.
 * A weight byte j holds elements j (low nibble) and j+16 (high nibble).
 * Each function takes the number of blocks, the weight row and the activation row.
 */

const f = Math.fround;

/** Q4_0 · Q8_0: sum += (Σ (q-8)·a) · dw · da. */
export function dotQ4_0(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 18, ao += 34) {
    const q = wo + 2;
    const x = ao + 2;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < 16; j += 2) {
      const v0 = w[q + j];
      const v1 = w[q + j + 1];
      s0 += ((v0 & 0x0f) - 8) * readI8(a, x + j);
      s1 += ((v0 >> 4) - 8) * readI8(a, x + 16 + j);
      s2 += ((v1 & 0x0f) - 8) * readI8(a, x + j + 1);
      s3 += ((v1 >> 4) - 8) * readI8(a, x + 17 + j);
    }
    sum = f(sum + f(f((s0 + s1 + s2 + s3) * readF16(w, wo)) * readF16(a, ao)));
  }
  return sum;
}

/** Q4_1 · Q8_1: sum += (dw·da)·Σ q·a + mw·sa, where sa = da·Σa is stored in the activation block. */
export function dotQ4_1(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 20, ao += 36) {
    const q = wo + 4;
    const x = ao + 4;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < 16; j += 2) {
      const v0 = w[q + j];
      const v1 = w[q + j + 1];
      s0 += (v0 & 0x0f) * readI8(a, x + j);
      s1 += (v0 >> 4) * readI8(a, x + 16 + j);
      s2 += (v1 & 0x0f) * readI8(a, x + j + 1);
      s3 += (v1 >> 4) * readI8(a, x + 17 + j);
    }
    const scaled = f(f(readF16(w, wo) * readF16(a, ao)) * (s0 + s1 + s2 + s3));
    sum = f(sum + f(scaled + f(readF16(w, wo + 2) * readF16(a, ao + 2))));
  }
  return sum;
}

/** Q5_0 · Q8_0: sum += (dw·da) · Σ (q-16)·a; bit j of the u32 qh is element j's fifth bit. */
export function dotQ5_0(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 22, ao += 34) {
    const qh = readU32(w, wo + 2);
    const q = wo + 6;
    const x = ao + 2;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < 16; j += 2) {
      const v0 = w[q + j];
      const v1 = w[q + j + 1];
      s0 += (((v0 & 0x0f) | (((qh >>> j) & 1) << 4)) - 16) * readI8(a, x + j);
      s1 += (((v0 >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * readI8(a, x + 16 + j);
      s2 += (((v1 & 0x0f) | (((qh >>> (j + 1)) & 1) << 4)) - 16) * readI8(a, x + j + 1);
      s3 += (((v1 >> 4) | (((qh >>> (j + 17)) & 1) << 4)) - 16) * readI8(a, x + 17 + j);
    }
    sum = f(sum + f(f(readF16(w, wo) * readF16(a, ao)) * (s0 + s1 + s2 + s3)));
  }
  return sum;
}

/** Q5_1 · Q8_1: as Q4_1 with 5-bit levels. */
export function dotQ5_1(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 24, ao += 36) {
    const qh = readU32(w, wo + 4);
    const q = wo + 8;
    const x = ao + 4;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < 16; j += 2) {
      const v0 = w[q + j];
      const v1 = w[q + j + 1];
      s0 += ((v0 & 0x0f) | (((qh >>> j) & 1) << 4)) * readI8(a, x + j);
      s1 += ((v0 >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * readI8(a, x + 16 + j);
      s2 += ((v1 & 0x0f) | (((qh >>> (j + 1)) & 1) << 4)) * readI8(a, x + j + 1);
      s3 += ((v1 >> 4) | (((qh >>> (j + 17)) & 1) << 4)) * readI8(a, x + 17 + j);
    }
    const scaled = f(f(readF16(w, wo) * readF16(a, ao)) * (s0 + s1 + s2 + s3));
    sum = f(sum + f(scaled + f(readF16(w, wo + 2) * readF16(a, ao + 2))));
  }
  return sum;
}

/** Q8_0 · Q8_0: sum += Σ q·a · (dw·da). */
export function dotQ8_0(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 34, ao += 34) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 2; j < 34; j += 4) {
      s0 += readI8(w, wo + j) * readI8(a, ao + j);
      s1 += readI8(w, wo + j + 1) * readI8(a, ao + j + 1);
      s2 += readI8(w, wo + j + 2) * readI8(a, ao + j + 2);
      s3 += readI8(w, wo + j + 3) * readI8(a, ao + j + 3);
    }
    sum = f(sum + f((s0 + s1 + s2 + s3) * f(readF16(w, wo) * readF16(a, ao))));
  }
  return sum;
}

/** IQ4_NL · Q8_0: sum += (da·dw) · Σ level·a. */
export function dotIQ4_NL(nb: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number): number {
  let sum = 0;
  for (let b = 0; b < nb; b++, wo += 18, ao += 34) {
    const q = wo + 2;
    const x = ao + 2;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let j = 0; j < 16; j += 2) {
      const v0 = w[q + j];
      const v1 = w[q + j + 1];
      s0 += IQ4_LEVELS[v0 & 0x0f] * readI8(a, x + j);
      s1 += IQ4_LEVELS[v0 >> 4] * readI8(a, x + 16 + j);
      s2 += IQ4_LEVELS[v1 & 0x0f] * readI8(a, x + j + 1);
      s3 += IQ4_LEVELS[v1 >> 4] * readI8(a, x + 17 + j);
    }
    sum = f(sum + f(f(readF16(a, ao) * readF16(w, wo)) * (s0 + s1 + s2 + s3)));
  }
  return sum;
}
