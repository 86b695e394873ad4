import { GgmlType, rowBytes } from "../../src/quant/types.js";
import { f32ToBf16, f32ToF16 } from "../../src/util/half.js";

/*
 * Seeded random inputs for the WebAssembly kernel tests: weight rows of any supported type made of random
 * bytes whose f16 scale fields hold sane values, and activation rows of floats.
 */

/** xorshift32: a small deterministic generator (uniform in [0, 1) from `next`). */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  u32(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  next(): number {
    return this.u32() / 4294967296;
  }

  /** Roughly normal (sum of uniforms), mean 0, deviation 1. */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * Math.sqrt(3);
  }
}

/** Byte offsets of the f16 scale fields (d, dmin, m) inside one block of each block type. */
const SCALE_FIELDS: ReadonlyMap<number, readonly number[]> = new Map<number, readonly number[]>([
  [GgmlType.Q4_0, [0]],
  [GgmlType.Q4_1, [0, 2]],
  [GgmlType.Q5_0, [0]],
  [GgmlType.Q5_1, [0, 2]],
  [GgmlType.Q8_0, [0]],
  [GgmlType.IQ4_NL, [0]],
  [GgmlType.Q2_K, [80, 82]],
  [GgmlType.Q3_K, [108]],
  [GgmlType.Q4_K, [0, 2]],
  [GgmlType.Q5_K, [0, 2]],
  [GgmlType.Q6_K, [208]],
  [GgmlType.IQ4_XS, [0]],
]);

const BLOCK_BYTES: ReadonlyMap<number, number> = new Map<number, number>([
  [GgmlType.Q4_0, 18], [GgmlType.Q4_1, 20], [GgmlType.Q5_0, 22], [GgmlType.Q5_1, 24], [GgmlType.Q8_0, 34],
  [GgmlType.IQ4_NL, 18], [GgmlType.Q2_K, 84], [GgmlType.Q3_K, 110], [GgmlType.Q4_K, 144], [GgmlType.Q5_K, 176],
  [GgmlType.Q6_K, 210], [GgmlType.IQ4_XS, 136],
]);

/** A scale as f16 bits: mostly 2^-10..2^-3 of either sign, sometimes zero or subnormal. */
function randomScale(rng: Random): number {
  const pick = rng.next();
  const sign = rng.next() < 0.25 ? -1 : 1;
  if (pick < 0.02) return 0;
  if (pick < 0.05) return f32ToF16(sign * 2 ** -20 * (1 + rng.next()));
  return f32ToF16(sign * 2 ** (-3 - 7 * rng.next()));
}

/** `rows` rows of `cols` elements of `type` (GGUF encoding), seeded. */
export function randomWeights(type: number, rows: number, cols: number, rng: Random): Uint8Array {
  const bytes = new Uint8Array(rows * rowBytes(type, cols));
  const view = new DataView(bytes.buffer);
  if (type === GgmlType.F32) {
    for (let i = 0; i < rows * cols; i++) view.setFloat32(4 * i, rng.normal(), true);
    return bytes;
  }
  if (type === GgmlType.F16 || type === GgmlType.BF16) {
    const encode = type === GgmlType.F16 ? f32ToF16 : f32ToBf16;
    for (let i = 0; i < rows * cols; i++) view.setUint16(2 * i, encode(rng.normal()), true);
    return bytes;
  }
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.u32() & 0xff;
  const blockBytes = BLOCK_BYTES.get(type)!;
  const fields = SCALE_FIELDS.get(type)!;
  for (let b = 0; b < bytes.length; b += blockBytes) {
    for (const f of fields) view.setUint16(b + f, randomScale(rng), true);
  }
  return bytes;
}

/** `n` floats uniform in [-scale, scale) written into `heap` from float index `at`. */
export function randomFloats(heap: Float32Array, at: number, n: number, rng: Random, scale: number): void {
  for (let i = 0; i < n; i++) heap[at + i] = (rng.next() * 2 - 1) * scale;
}

/**
 * `n` floats of one activation row: normal values with occasional outliers, an all-zero block of 32
 * and 256 elements (when n allows), and runs of exact halves that make the quantizers round ties.
 */
export function randomActivations(n: number, rng: Random): Float32Array {
  const x = new Float32Array(n);
  const scale = 2 ** (4 * rng.next() - 2);
  for (let i = 0; i < n; i++) x[i] = rng.normal() * scale * (rng.next() < 0.01 ? 20 : 1);
  if (n >= 512) x.fill(0, 256, 512);
  else if (n >= 64) x.fill(0, 32, 64);
  // A block whose largest magnitude is 127 (Q8_0/Q8_1 multiplier 1) or -127 (Q8_K multiplier 1),
  // the other values halfway between integers.
  if (n >= 256) {
    const base = n - 256;
    for (let i = 0; i < 256; i++) x[base + i] = Math.floor(rng.next() * 200 - 100) + 0.5;
    for (let b = base; b < n; b += 32) x[b] = 127;
    x[base] = -127;
  }
  return x;
}
