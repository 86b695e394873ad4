import { bf16ToF32 } from "../util/half.js";
import { readF16, readF32 } from "./block-bytes.js";
import {
  dequantizeIQ4_NL,
  dequantizeQ4_0,
  dequantizeQ4_1,
  dequantizeQ5_0,
  dequantizeQ5_1,
  dequantizeQ8_0,
} from "./dequantize-block32.js";
import {
  dequantizeIQ4_XS,
  dequantizeQ2_K,
  dequantizeQ3_K,
  dequantizeQ4_K,
  dequantizeQ5_K,
  dequantizeQ6_K,
} from "./dequantize-superblock.js";
import { checkFloats, checkRowBytes, unsupportedType } from "./row-checks.js";
import { GgmlType, typeTraits } from "./types.js";

/** Decodes `count` units (blocks, or elements for the float types) from src[so..] into dst[di..]. */
type RowDecoder = (src: Uint8Array, so: number, dst: Float32Array, di: number, count: number) => void;

function decodeF32(src: Uint8Array, so: number, dst: Float32Array, di: number, n: number): void {
  for (let i = 0; i < n; i++) dst[di + i] = readF32(src, so + 4 * i);
}

function decodeF16(src: Uint8Array, so: number, dst: Float32Array, di: number, n: number): void {
  for (let i = 0; i < n; i++) dst[di + i] = readF16(src, so + 2 * i);
}

function decodeBF16(src: Uint8Array, so: number, dst: Float32Array, di: number, n: number): void {
  for (let i = 0, o = so; i < n; i++, o += 2) dst[di + i] = bf16ToF32(src[o] | (src[o + 1] << 8));
}

const DECODERS: ReadonlyMap<number, RowDecoder> = new Map<number, RowDecoder>([
  [GgmlType.F32, decodeF32],
  [GgmlType.F16, decodeF16],
  [GgmlType.BF16, decodeBF16],
  [GgmlType.Q4_0, dequantizeQ4_0],
  [GgmlType.Q4_1, dequantizeQ4_1],
  [GgmlType.Q5_0, dequantizeQ5_0],
  [GgmlType.Q5_1, dequantizeQ5_1],
  [GgmlType.Q8_0, dequantizeQ8_0],
  [GgmlType.Q2_K, dequantizeQ2_K],
  [GgmlType.Q3_K, dequantizeQ3_K],
  [GgmlType.Q4_K, dequantizeQ4_K],
  [GgmlType.Q5_K, dequantizeQ5_K],
  [GgmlType.Q6_K, dequantizeQ6_K],
  [GgmlType.IQ4_NL, dequantizeIQ4_NL],
  [GgmlType.IQ4_XS, dequantizeIQ4_XS],
]);

/**
 * Decodes one row of `n` elements of a stored tensor type into f32, bit-exact with ggml's
 * dequantize_row_* (and gguf-py's dequantize). Throws UNSUPPORTED_TENSOR_TYPE for other types,
 * BAD_TENSOR_SHAPE when n is not a whole number of blocks, TRUNCATED when a buffer is too short.
 */
export function dequantizeRow(type: number, src: Uint8Array, srcOffset: number, dst: Float32Array, dstOffset: number, n: number): void {
  const decode = DECODERS.get(type);
  if (!decode) throw unsupportedType(type, "dequantization");
  checkRowBytes(type, n, src, srcOffset, "dequantization source");
  checkFloats(dst, dstOffset, n, "dequantization destination");
  decode(src, srcOffset, dst, dstOffset, n / typeTraits(type)!.blockSize);
}
