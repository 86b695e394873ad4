import { GemmaError } from "../util/errors.js";

/**
 * ggml tensor types by their GGUF id (ggml-org/llama.cpp:ggml/include/ggml.h, `enum ggml_type`).
 * Ids absent here are not ggml types at all; ids present but not `supported` are known types that
 * this runtime refuses by name.
 */
export const GgmlType = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q5_0: 6,
  Q5_1: 7,
  Q8_0: 8,
  Q8_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  Q8_K: 15,
  IQ2_XXS: 16,
  IQ2_XS: 17,
  IQ3_XXS: 18,
  IQ1_S: 19,
  IQ4_NL: 20,
  IQ3_S: 21,
  IQ2_S: 22,
  IQ4_XS: 23,
  I8: 24,
  I16: 25,
  I32: 26,
  I64: 27,
  F64: 28,
  IQ1_M: 29,
  BF16: 30,
  TQ1_0: 34,
  TQ2_0: 35,
  MXFP4: 39,
  NVFP4: 40,
  Q1_0: 41,
  Q2_0: 42,
} as const;
export type GgmlType = (typeof GgmlType)[keyof typeof GgmlType];

export interface TypeTraits {
  readonly name: string;
  /** Elements per block (1 for plain types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Whether this runtime can dequantize it and multiply with it. */
  readonly supported: boolean;
}

// Block sizes and byte sizes from ggml-org/llama.cpp:ggml/src/ggml-common.h (block_* structs).
const TRAITS: ReadonlyMap<number, TypeTraits> = new Map<number, TypeTraits>([
  [GgmlType.F32, { name: "F32", blockSize: 1, typeSize: 4, supported: true }],
  [GgmlType.F16, { name: "F16", blockSize: 1, typeSize: 2, supported: true }],
  [GgmlType.BF16, { name: "BF16", blockSize: 1, typeSize: 2, supported: true }],
  [GgmlType.Q4_0, { name: "Q4_0", blockSize: 32, typeSize: 18, supported: true }],
  [GgmlType.Q4_1, { name: "Q4_1", blockSize: 32, typeSize: 20, supported: true }],
  [GgmlType.Q5_0, { name: "Q5_0", blockSize: 32, typeSize: 22, supported: true }],
  [GgmlType.Q5_1, { name: "Q5_1", blockSize: 32, typeSize: 24, supported: true }],
  [GgmlType.Q8_0, { name: "Q8_0", blockSize: 32, typeSize: 34, supported: true }],
  [GgmlType.Q8_1, { name: "Q8_1", blockSize: 32, typeSize: 36, supported: true }],
  [GgmlType.Q2_K, { name: "Q2_K", blockSize: 256, typeSize: 84, supported: true }],
  [GgmlType.Q3_K, { name: "Q3_K", blockSize: 256, typeSize: 110, supported: true }],
  [GgmlType.Q4_K, { name: "Q4_K", blockSize: 256, typeSize: 144, supported: true }],
  [GgmlType.Q5_K, { name: "Q5_K", blockSize: 256, typeSize: 176, supported: true }],
  [GgmlType.Q6_K, { name: "Q6_K", blockSize: 256, typeSize: 210, supported: true }],
  [GgmlType.Q8_K, { name: "Q8_K", blockSize: 256, typeSize: 292, supported: true }],
  [GgmlType.IQ4_NL, { name: "IQ4_NL", blockSize: 32, typeSize: 18, supported: true }],
  [GgmlType.IQ4_XS, { name: "IQ4_XS", blockSize: 256, typeSize: 136, supported: true }],
  [GgmlType.IQ2_XXS, { name: "IQ2_XXS", blockSize: 256, typeSize: 66, supported: false }],
  [GgmlType.IQ2_XS, { name: "IQ2_XS", blockSize: 256, typeSize: 74, supported: false }],
  [GgmlType.IQ3_XXS, { name: "IQ3_XXS", blockSize: 256, typeSize: 98, supported: false }],
  [GgmlType.IQ1_S, { name: "IQ1_S", blockSize: 256, typeSize: 50, supported: false }],
  [GgmlType.IQ3_S, { name: "IQ3_S", blockSize: 256, typeSize: 110, supported: false }],
  [GgmlType.IQ2_S, { name: "IQ2_S", blockSize: 256, typeSize: 82, supported: false }],
  [GgmlType.IQ1_M, { name: "IQ1_M", blockSize: 256, typeSize: 56, supported: false }],
  [GgmlType.I8, { name: "I8", blockSize: 1, typeSize: 1, supported: false }],
  [GgmlType.I16, { name: "I16", blockSize: 1, typeSize: 2, supported: false }],
  [GgmlType.I32, { name: "I32", blockSize: 1, typeSize: 4, supported: false }],
  [GgmlType.I64, { name: "I64", blockSize: 1, typeSize: 8, supported: false }],
  [GgmlType.F64, { name: "F64", blockSize: 1, typeSize: 8, supported: false }],
  [GgmlType.TQ1_0, { name: "TQ1_0", blockSize: 256, typeSize: 54, supported: false }],
  [GgmlType.TQ2_0, { name: "TQ2_0", blockSize: 256, typeSize: 66, supported: false }],
  [GgmlType.MXFP4, { name: "MXFP4", blockSize: 32, typeSize: 17, supported: false }],
  [GgmlType.NVFP4, { name: "NVFP4", blockSize: 64, typeSize: 36, supported: false }],
  [GgmlType.Q1_0, { name: "Q1_0", blockSize: 128, typeSize: 18, supported: false }],
  [GgmlType.Q2_0, { name: "Q2_0", blockSize: 64, typeSize: 18, supported: false }],
]);

/** Traits of a known ggml type id, or undefined when the id is not a ggml type. */
export function typeTraits(type: number): TypeTraits | undefined {
  return TRAITS.get(type);
}

export function typeName(type: number): string {
  return TRAITS.get(type)?.name ?? `unknown type ${type}`;
}

/** Bytes of a row of `n` elements; n must be a multiple of the block size. */
export function rowBytes(type: number, n: number): number {
  const t = TRAITS.get(type);
  if (!t) throw new GemmaError("UNSUPPORTED_TENSOR_TYPE", `unknown ggml type id ${type}`);
  if (n % t.blockSize !== 0) {
    throw new GemmaError("BAD_TENSOR_SHAPE", `a ${t.name} row of ${n} elements is not a whole number of ${t.blockSize}-element blocks`);
  }
  return (n / t.blockSize) * t.typeSize;
}

/** Throws UNSUPPORTED_TENSOR_TYPE naming the type and the tensor unless this runtime can compute with it. */
export function assertSupported(type: number, tensorName: string): void {
  const t = TRAITS.get(type);
  if (!t || !t.supported) {
    throw new GemmaError(
      "UNSUPPORTED_TENSOR_TYPE",
      `tensor "${tensorName}" has type ${typeName(type)}, which gemma-ts does not support (supported: ${[...TRAITS.values()]
        .filter((x) => x.supported && x.name !== "Q8_1" && x.name !== "Q8_K")
        .map((x) => x.name)
        .join(", ")})`,
    );
  }
}
