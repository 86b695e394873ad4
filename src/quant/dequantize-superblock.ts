import { readF16 } from "./block-bytes.js";
import { decodeIQ4_XS, decodeQ2_K, decodeQ3_K, decodeQ4_K, decodeQ5_K, decodeQ6_K, QK_K } from "./superblock-decode.js";

/*
 * Dequantization of the 256-element super-block types: element = fl(fl(d·scale)·level) - fl(dmin·min),
 * the operation order of ggml's dequantize_row_q*_K / dequantize_row_iq4_xs
 * (ggml-org/llama.cpp:ggml/src/ggml-quants.c). fl(d·scale) is exact (an f16 times a small integer) and
 * so is its product with a level except for Q6_K and IQ4_XS, where the store does ggml's one rounding.
 */

const levels = new Int8Array(QK_K);
const scales = new Int32Array(16);
const mins = new Int32Array(16);
const noMins = new Int32Array(16);

/** Writes one decoded block: `subSize`-element sub-blocks, each with its scale and min. */
function writeBlock(dst: Float32Array, di: number, d: number, dmin: number, subSize: number, subMins: Int32Array): void {
  for (let s = 0, e = 0; e < QK_K; s++) {
    const dl = Math.fround(d * scales[s]);
    const ml = Math.fround(dmin * subMins[s]);
    for (const end = e + subSize; e < end; e++) dst[di + e] = dl * levels[e] - ml;
  }
}

export function dequantizeQ2_K(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 84, di += QK_K) {
    decodeQ2_K(src, so, levels, scales, mins);
    writeBlock(dst, di, readF16(src, so + 80), readF16(src, so + 82), 16, mins);
  }
}

export function dequantizeQ3_K(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 110, di += QK_K) {
    decodeQ3_K(src, so, levels, scales);
    writeBlock(dst, di, readF16(src, so + 108), 0, 16, noMins);
  }
}

export function dequantizeQ4_K(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 144, di += QK_K) {
    decodeQ4_K(src, so, levels, scales, mins);
    writeBlock(dst, di, readF16(src, so), readF16(src, so + 2), 32, mins);
  }
}

export function dequantizeQ5_K(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 176, di += QK_K) {
    decodeQ5_K(src, so, levels, scales, mins);
    writeBlock(dst, di, readF16(src, so), readF16(src, so + 2), 32, mins);
  }
}

export function dequantizeQ6_K(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 210, di += QK_K) {
    decodeQ6_K(src, so, levels, scales);
    writeBlock(dst, di, readF16(src, so + 208), 0, 16, noMins);
  }
}

export function dequantizeIQ4_XS(src: Uint8Array, so: number, dst: Float32Array, di: number, nb: number): void {
  for (let b = 0; b < nb; b++, so += 136, di += QK_K) {
    decodeIQ4_XS(src, so, levels, scales);
    writeBlock(dst, di, readF16(src, so), 0, 32, noMins);
  }
}
