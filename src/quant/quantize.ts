import { encodeBF16, encodeF16, encodeF32 } from "./activation-encoders.js";
import { quantizeQ4_0, quantizeQ4_1, quantizeQ5_0, quantizeQ5_1, quantizeQ8_0 } from "./quantize-block32.js";
import { quantizeQ4_K, quantizeQ6_K } from "./quantize-superblock.js";
import { checkFloats, checkRowBytes, unsupportedType } from "./row-checks.js";
import { GgmlType, typeTraits } from "./types.js";

/** Encodes `count` units (blocks, or elements for the float types) of x[xo..] into out[oo..]. */
type RowEncoder = (x: Float32Array, xo: number, count: number, out: Uint8Array, oo: number) => void;

// Float rows are stored exactly as ggml converts activations (round to nearest even).
const QUANTIZERS: ReadonlyMap<number, RowEncoder> = new Map<number, RowEncoder>([
  [GgmlType.F32, encodeF32],
  [GgmlType.F16, encodeF16],
  [GgmlType.BF16, encodeBF16],
  [GgmlType.Q4_0, quantizeQ4_0],
  [GgmlType.Q4_1, quantizeQ4_1],
  [GgmlType.Q5_0, quantizeQ5_0],
  [GgmlType.Q5_1, quantizeQ5_1],
  [GgmlType.Q8_0, quantizeQ8_0],
  [GgmlType.Q4_K, quantizeQ4_K],
  [GgmlType.Q6_K, quantizeQ6_K],
]);

/**
 * Stores x[xOffset..xOffset+n) as one row of weight type `type`, byte for byte as ggml's reference
 * quantizers (quantize_row_*_ref: what llama-quantize writes without an importance matrix) and, for the
 * 32-element types, gguf-py's quantize do. Other K-quants and the IQ types are refused with
 * UNSUPPORTED_TENSOR_TYPE.
 */
export function quantizeRow(type: number, x: Float32Array, xOffset: number, n: number, out: Uint8Array, outOffset: number): void {
  const quantize = QUANTIZERS.get(type);
  if (!quantize) throw unsupportedType(type, "quantization");
  checkFloats(x, xOffset, n, "quantization input");
  checkRowBytes(type, n, out, outOffset, "quantization output");
  quantize(x, xOffset, n / typeTraits(type)!.blockSize, out, outOffset);
}
