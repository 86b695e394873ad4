import { encodeBF16, encodeF16, encodeF32, encodeQ8_0, encodeQ8_1, encodeQ8_K } from "./activation-encoders.js";
import { checkFloats, checkRowBytes, unsupportedType } from "./row-checks.js";
import { GgmlType, rowBytes, typeTraits } from "./types.js";

/**
 * The activation encoding each weight type is multiplied with: `vec_dot_type` in ggml's CPU type
 * traits (ggml-org/llama.cpp:ggml/src/ggml-cpu/ggml-cpu.c, type_traits_cpu).
 */
const VEC_DOT_TYPES: ReadonlyMap<number, number> = new Map<number, number>([
  [GgmlType.F32, GgmlType.F32],
  [GgmlType.F16, GgmlType.F16],
  [GgmlType.BF16, GgmlType.BF16],
  [GgmlType.Q4_0, GgmlType.Q8_0],
  [GgmlType.Q5_0, GgmlType.Q8_0],
  [GgmlType.Q8_0, GgmlType.Q8_0],
  [GgmlType.IQ4_NL, GgmlType.Q8_0],
  [GgmlType.Q4_1, GgmlType.Q8_1],
  [GgmlType.Q5_1, GgmlType.Q8_1],
  [GgmlType.Q2_K, GgmlType.Q8_K],
  [GgmlType.Q3_K, GgmlType.Q8_K],
  [GgmlType.Q4_K, GgmlType.Q8_K],
  [GgmlType.Q5_K, GgmlType.Q8_K],
  [GgmlType.Q6_K, GgmlType.Q8_K],
  [GgmlType.IQ4_XS, GgmlType.Q8_K],
]);

/** Encodes `count` units (blocks, or elements for the float types) of x[xo..] into out[oo..]. */
type ActivationEncoder = (x: Float32Array, xo: number, count: number, out: Uint8Array, oo: number) => void;

const ENCODERS: ReadonlyMap<number, ActivationEncoder> = new Map<number, ActivationEncoder>([
  [GgmlType.F32, encodeF32],
  [GgmlType.F16, encodeF16],
  [GgmlType.BF16, encodeBF16],
  [GgmlType.Q8_0, encodeQ8_0],
  [GgmlType.Q8_1, encodeQ8_1],
  [GgmlType.Q8_K, encodeQ8_K],
]);

/** The ggml type id of the activations paired with `weightType` in a matrix product. */
export function vecDotType(weightType: number): number {
  const type = VEC_DOT_TYPES.get(weightType);
  if (type === undefined) throw unsupportedType(weightType, "matrix multiplication");
  return type;
}

/** Bytes of one activation row of `n` elements in the encoding paired with `weightType`. */
export function activationRowBytes(weightType: number, n: number): number {
  return rowBytes(vecDotType(weightType), n);
}

/**
 * Encodes x[xOffset..xOffset+n) as one `actType` row at out[outOffset..], byte for byte as llama.cpp's
 * x86 CPU backend does before its dot products (see activation-encoders.ts for which ggml code path).
 */
export function quantizeActivationRow(actType: number, x: Float32Array, xOffset: number, n: number, out: Uint8Array, outOffset: number): void {
  const encode = ENCODERS.get(actType);
  if (!encode) throw unsupportedType(actType, "activation quantization");
  checkFloats(x, xOffset, n, "activation quantization input");
  checkRowBytes(actType, n, out, outOffset, "activation quantization output");
  encode(x, xOffset, n / typeTraits(actType)!.blockSize, out, outOffset);
}
