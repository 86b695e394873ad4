import { readI8 } from "./block-bytes.js";
import { IQ4_LEVELS } from "./iq4-values.js";

/*
 * Unpacking of the 256-element super-block types (K-quants and IQ4_XS) into integer levels and
 * integer sub-block scales (and mins), for dequantization; the dot products (dot-superblock.ts)
 * share the scale unpackers and read the levels in place. Element e of a block is then
 * d·scales[s]·levels[e] - dmin·mins[s], with s = e / subBlockSize and d, dmin the block's f16 factors. Layouts: block_q*_K / block_iq4_xs in ggml-org/llama.cpp:ggml/src/ggml-common.h,
 * unpacking as in ggml-org/llama.cpp:ggml/src/ggml-quants.c (dequantize_row_*).
 */

export const QK_K = 256;

/** Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min), qs[64] of 2-bit levels, f16 d at 80, f16 dmin at 82. */
export function decodeQ2_K(src: Uint8Array, o: number, levels: Int8Array, scales: Int32Array, mins: Int32Array): void {
  for (let s = 0; s < 16; s++) {
    const sc = src[o + s];
    scales[s] = sc & 0x0f;
    mins[s] = sc >> 4;
  }
  // Each 32-byte run of qs holds four 32-element groups, one per bit pair.
  for (let k = 0; k < 2; k++) {
    const q = o + 16 + 32 * k;
    for (let j = 0; j < 4; j++) {
      const e = 128 * k + 32 * j;
      const shift = 2 * j;
      for (let l = 0; l < 32; l++) levels[e + l] = (src[q + l] >> shift) & 3;
    }
  }
}

/** Q3_K (110 bytes): hmask[32] (third bits), qs[64] (low bit pairs), 12 bytes of 6-bit scales, f16 d at 108. */
export function decodeQ3_K(src: Uint8Array, o: number, levels: Int8Array, scales: Int32Array): void {
  unpackScalesQ3_K(src, o + 96, scales);
  // A set hmask bit means the level is stored as is; a clear one subtracts 4 (levels -4..3).
  for (let k = 0; k < 2; k++) {
    const q = o + 32 + 32 * k;
    for (let j = 0; j < 4; j++) {
      const e = 128 * k + 32 * j;
      const shift = 2 * j;
      const hbit = 4 * k + j;
      for (let l = 0; l < 32; l++) {
        levels[e + l] = ((src[q + l] >> shift) & 3) - (((src[o + l] >> hbit) & 1) ^ 1) * 4;
      }
    }
  }
}

/** The 16 signed 6-bit scales (stored + 32) of a Q3_K block from their 12 packed bytes at `b`. */
export function unpackScalesQ3_K(src: Uint8Array, b: number, scales: Int32Array): void {
  for (let i = 0; i < 4; i++) {
    const lo = src[b + i];
    const mid = src[b + 4 + i];
    const hi = src[b + 8 + i];
    scales[i] = ((lo & 0x0f) | ((hi & 3) << 4)) - 32;
    scales[4 + i] = ((mid & 0x0f) | (((hi >> 2) & 3) << 4)) - 32;
    scales[8 + i] = ((lo >> 4) | (((hi >> 4) & 3) << 4)) - 32;
    scales[12 + i] = ((mid >> 4) | (((hi >> 6) & 3) << 4)) - 32;
  }
}

/** The 6-bit scales and mins of the 8 sub-blocks of Q4_K/Q5_K from their 12 packed bytes at `b` (ggml's get_scale_min_k4). */
export function unpackScaleMinK4(src: Uint8Array, b: number, scales: Int32Array, mins: Int32Array): void {
  for (let j = 0; j < 4; j++) {
    scales[j] = src[b + j] & 63;
    mins[j] = src[b + j + 4] & 63;
  }
  for (let j = 4; j < 8; j++) {
    scales[j] = (src[b + j + 4] & 0x0f) | ((src[b + j - 4] >> 6) << 4);
    mins[j] = (src[b + j + 4] >> 4) | ((src[b + j] >> 6) << 4);
  }
}

/** Q4_K (144 bytes): f16 d, f16 dmin, 12 bytes of scales/mins, qs[128] of nibbles (low nibbles first per 64). */
export function decodeQ4_K(src: Uint8Array, o: number, levels: Int8Array, scales: Int32Array, mins: Int32Array): void {
  unpackScaleMinK4(src, o + 4, scales, mins);
  for (let k = 0; k < 4; k++) {
    const q = o + 16 + 32 * k;
    const e = 64 * k;
    for (let l = 0; l < 32; l++) {
      const byte = src[q + l];
      levels[e + l] = byte & 0x0f;
      levels[e + 32 + l] = byte >> 4;
    }
  }
}

/** Q5_K (176 bytes): as Q4_K plus qh[32] at 16 holding the fifth bits; qs[128] at 48. */
export function decodeQ5_K(src: Uint8Array, o: number, levels: Int8Array, scales: Int32Array, mins: Int32Array): void {
  unpackScaleMinK4(src, o + 4, scales, mins);
  for (let k = 0; k < 4; k++) {
    const q = o + 48 + 32 * k;
    const e = 64 * k;
    const shift = 2 * k;
    for (let l = 0; l < 32; l++) {
      const byte = src[q + l];
      const high = src[o + 16 + l] >> shift;
      levels[e + l] = (byte & 0x0f) | ((high & 1) << 4);
      levels[e + 32 + l] = (byte >> 4) | ((high & 2) << 3);
    }
  }
}

/** Q6_K (210 bytes): ql[128] (low nibbles), qh[64] (bit pairs), int8 scales[16] at 192, f16 d at 208. */
export function decodeQ6_K(src: Uint8Array, o: number, levels: Int8Array, scales: Int32Array): void {
  for (let s = 0; s < 16; s++) scales[s] = readI8(src, o + 192 + s);
  for (let k = 0; k < 2; k++) {
    const ql = o + 64 * k;
    const qh = o + 128 + 32 * k;
    const e = 128 * k;
    for (let l = 0; l < 32; l++) {
      const h = src[qh + l];
      const a = src[ql + l];
      const b = src[ql + l + 32];
      levels[e + l] = ((a & 0x0f) | ((h & 3) << 4)) - 32;
      levels[e + l + 32] = ((b & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
      levels[e + l + 64] = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
      levels[e + l + 96] = ((b >> 4) | (((h >> 6) & 3) << 4)) - 32;
    }
  }
}

/** IQ4_XS (136 bytes): f16 d, u16 scales_h (2 bits each), scales_l[4] (nibbles), qs[128] indexing the IQ4 levels. */
export function decodeIQ4_XS(src: Uint8Array, o: number, levels: Int8Array, scales: Int32Array): void {
  unpackScalesIQ4_XS(src, o, scales);
  for (let s = 0; s < 8; s++) {
    const q = o + 8 + 16 * s;
    const e = 32 * s;
    for (let j = 0; j < 16; j++) {
      const byte = src[q + j];
      levels[e + j] = IQ4_LEVELS[byte & 0x0f];
      levels[e + 16 + j] = IQ4_LEVELS[byte >> 4];
    }
  }
}

/** The 8 signed 6-bit sub-block scales (stored + 32) of the IQ4_XS block at `o`. */
export function unpackScalesIQ4_XS(src: Uint8Array, o: number, scales: Int32Array): void {
  const high = src[o + 2] | (src[o + 3] << 8);
  for (let s = 0; s < 8; s++) {
    const low = (src[o + 4 + (s >> 1)] >> (4 * (s & 1))) & 0x0f;
    scales[s] = (low | (((high >> (2 * s)) & 3) << 4)) - 32;
  }
}
