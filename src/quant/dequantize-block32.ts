import { readF16, readI8, readU32 } from "./block-bytes.js";
import { IQ4_LEVELS } from "./iq4-values.js";

/*
 * Dequantization of the 32-element block types, following ggml's dequantize_row_* in
 * ggml-org/llama.cpp:ggml/src/ggml-quants.c. A block's element j and j+16 share byte j of the packed
 * nibbles (low nibble first). A product of an f16 scale (11 significant bits) and a small integer is
 * exact in f32, so each element is rounded once, on the store, exactly as in ggml.
 * Each function takes the source offset, the destination index and the number of blocks.
 */

/** block_q4_0: f16 d, 16 bytes of nibbles; x = (q - 8)·d. */
export function dequantizeQ4_0(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 18, di += 32) {
    const d = readF16(src, so);
    for (let j = 0; j < 16; j++) {
      const q = src[so + 2 + j];
      dst[di + j] = ((q & 0x0f) - 8) * d;
      dst[di + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

/** block_q4_1: f16 d, f16 m, 16 bytes of nibbles; x = q·d + m. */
export function dequantizeQ4_1(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 20, di += 32) {
    const d = readF16(src, so);
    const m = readF16(src, so + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[so + 4 + j];
      dst[di + j] = (q & 0x0f) * d + m;
      dst[di + j + 16] = (q >> 4) * d + m;
    }
  }
}

/** block_q5_0: f16 d, u32 of fifth bits, 16 bytes of nibbles; x = (q - 16)·d. */
export function dequantizeQ5_0(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 22, di += 32) {
    const d = readF16(src, so);
    const qh = readU32(src, so + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[so + 6 + j];
      dst[di + j] = (((q & 0x0f) | (((qh >>> j) << 4) & 0x10)) - 16) * d;
      dst[di + j + 16] = (((q >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16) * d;
    }
  }
}

/** block_q5_1: f16 d, f16 m, u32 of fifth bits, 16 bytes of nibbles; x = q·d + m. */
export function dequantizeQ5_1(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 24, di += 32) {
    const d = readF16(src, so);
    const m = readF16(src, so + 2);
    const qh = readU32(src, so + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[so + 8 + j];
      dst[di + j] = ((q & 0x0f) | (((qh >>> j) << 4) & 0x10)) * d + m;
      dst[di + j + 16] = ((q >> 4) | ((qh >>> (j + 12)) & 0x10)) * d + m;
    }
  }
}

/** block_q8_0: f16 d, 32 int8; x = q·d. */
export function dequantizeQ8_0(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 34, di += 32) {
    const d = readF16(src, so);
    for (let j = 0; j < 32; j++) dst[di + j] = readI8(src, so + 2 + j) * d;
  }
}

/** block_iq4_nl: f16 d, 16 bytes of nibbles indexing the non-linear levels; x = level·d. */
export function dequantizeIQ4_NL(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 18, di += 32) {
    const d = readF16(src, so);
    for (let j = 0; j < 16; j++) {
      const q = src[so + 2 + j];
      dst[di + j] = IQ4_LEVELS[q & 0x0f] * d;
      dst[di + j + 16] = IQ4_LEVELS[q >> 4] * d;
    }
  }
}
