import { f32ToF16 } from "../util/half.js";
import { writeU16 } from "./block-bytes.js";
import { roundHalfAway } from "./rounding.js";

/*
 * ggml's reference quantizers for the 32-element block types (quantize_row_*_ref in
 * ggml-org/llama.cpp:ggml/src/ggml-quants.c, which gguf-py's quants.py reproduces bit for bit):
 * f32 arithmetic (Math.fround after every operation) and C's truncating float-to-int conversions.
 * Each function takes the input index, the number of blocks and the output offset.
 */

const f = Math.fround;
const range = new Float64Array(2);
const levels = new Int32Array(32);

/** The element of largest magnitude (the first one, on ties), sign kept. */
function signedAbsMax(x: Float32Array, xo: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[xo + j];
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

/** Writes [min, max] of the block to `minMax`. */
function blockRange(x: Float32Array, xo: number, minMax: Float64Array): void {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < 32; j++) {
    const v = x[xo + j];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  minMax[0] = min;
  minMax[1] = max;
}

/** Packs the low 4 bits of `levels` j and j+16 into byte j. */
function packNibbles(out: Uint8Array, qo: number): void {
  for (let j = 0; j < 16; j++) out[qo + j] = (levels[j] & 0x0f) | ((levels[j + 16] & 0x0f) << 4);
}

/** Packs the fifth bit of `levels` j into bit j of a little-endian u32. */
function packHighBits(out: Uint8Array, o: number): void {
  let qh = 0;
  for (let j = 0; j < 32; j++) qh |= ((levels[j] >> 4) & 1) << j;
  out[o] = qh & 0xff;
  out[o + 1] = (qh >>> 8) & 0xff;
  out[o + 2] = (qh >>> 16) & 0xff;
  out[o + 3] = qh >>> 24;
}

/** Q4_0: d = max/-8 (max = the signed element of largest magnitude), level = min(15, trunc(x/d + 8.5)). */
export function quantizeQ4_0(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 18) {
    const d = f(signedAbsMax(x, xo) / -8);
    const id = d !== 0 ? f(1 / d) : 0;
    writeU16(out, oo, f32ToF16(d));
    for (let j = 0; j < 32; j++) levels[j] = Math.min(15, Math.trunc(f(f(x[xo + j] * id) + 8.5)));
    packNibbles(out, oo + 2);
  }
}

/** Q4_1: d = (max-min)/15, m = min, level = min(15, trunc((x-min)/d + 0.5)). */
export function quantizeQ4_1(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 20) {
    blockRange(x, xo, range);
    const min = range[0];
    const d = f(f(range[1] - min) / 15);
    const id = d !== 0 ? f(1 / d) : 0;
    writeU16(out, oo, f32ToF16(d));
    writeU16(out, oo + 2, f32ToF16(min));
    for (let j = 0; j < 32; j++) levels[j] = Math.min(15, Math.trunc(f(f(f(x[xo + j] - min) * id) + 0.5)));
    packNibbles(out, oo + 4);
  }
}

/** Q5_0: d = max/-16, level = min(31, trunc(x/d + 16.5)). */
export function quantizeQ5_0(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 22) {
    const d = f(signedAbsMax(x, xo) / -16);
    const id = d !== 0 ? f(1 / d) : 0;
    writeU16(out, oo, f32ToF16(d));
    for (let j = 0; j < 32; j++) levels[j] = Math.min(31, Math.trunc(f(f(x[xo + j] * id) + 16.5)));
    packHighBits(out, oo + 2);
    packNibbles(out, oo + 6);
  }
}

/** Q5_1: d = (max-min)/31, m = min, level = trunc((x-min)/d + 0.5). */
export function quantizeQ5_1(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 24) {
    blockRange(x, xo, range);
    const min = range[0];
    const d = f(f(range[1] - min) / 31);
    const id = d !== 0 ? f(1 / d) : 0;
    writeU16(out, oo, f32ToF16(d));
    writeU16(out, oo + 2, f32ToF16(min));
    for (let j = 0; j < 32; j++) levels[j] = Math.trunc(f(f(f(x[xo + j] - min) * id) + 0.5));
    packHighBits(out, oo + 4);
    packNibbles(out, oo + 8);
  }
}

/** Q8_0 (weights): d = amax/127, level = roundf(x·(1/d)), ties away from zero. */
export function quantizeQ8_0(x: Float32Array, xo: number, nb: number, out: Uint8Array, oo: number): void {
  for (let b = 0; b < nb; b++, xo += 32, oo += 34) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[xo + j]));
    const d = f(amax / 127);
    const id = d !== 0 ? f(1 / d) : 0;
    writeU16(out, oo, f32ToF16(d));
    for (let j = 0; j < 32; j++) out[oo + 2 + j] = roundHalfAway(f(x[xo + j] * id));
  }
}
