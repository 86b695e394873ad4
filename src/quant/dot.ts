import { vecDotType } from "./activations.js";
import { dotIQ4_NL, dotQ4_0, dotQ4_1, dotQ5_0, dotQ5_1, dotQ8_0 } from "./dot-block32.js";
import { dotBF16, dotF16, dotF32 } from "./dot-float.js";
import { dotIQ4_XS, dotQ2_K, dotQ3_K, dotQ4_K, dotQ5_K, dotQ6_K } from "./dot-superblock.js";
import { checkRowBytes, unsupportedType } from "./row-checks.js";
import { GgmlType, typeTraits } from "./types.js";

/** Dot of `count` units (blocks, or elements for the float types) of a weight row and an activation row. */
type RowDot = (count: number, w: Uint8Array, wo: number, a: Uint8Array, ao: number) => number;

interface DotKernel {
  readonly dot: RowDot;
  readonly blockSize: number;
  readonly activationType: number;
}

/** Kernels by weight type id, with what vecDot needs per call resolved once. */
const KERNELS: readonly (DotKernel | undefined)[] = buildKernels([
  [GgmlType.F32, dotF32],
  [GgmlType.F16, dotF16],
  [GgmlType.BF16, dotBF16],
  [GgmlType.Q4_0, dotQ4_0],
  [GgmlType.Q4_1, dotQ4_1],
  [GgmlType.Q5_0, dotQ5_0],
  [GgmlType.Q5_1, dotQ5_1],
  [GgmlType.Q8_0, dotQ8_0],
  [GgmlType.IQ4_NL, dotIQ4_NL],
  [GgmlType.Q2_K, dotQ2_K],
  [GgmlType.Q3_K, dotQ3_K],
  [GgmlType.Q4_K, dotQ4_K],
  [GgmlType.Q5_K, dotQ5_K],
  [GgmlType.Q6_K, dotQ6_K],
  [GgmlType.IQ4_XS, dotIQ4_XS],
]);

function buildKernels(dots: readonly (readonly [number, RowDot])[]): (DotKernel | undefined)[] {
  const kernels: (DotKernel | undefined)[] = [];
  for (const [type, dot] of dots) {
    kernels[type] = { dot, blockSize: typeTraits(type)!.blockSize, activationType: vecDotType(type) };
  }
  return kernels;
}

/**
 * Dot product of one weight row (n elements of `weightType`, stored encoding) with one activation row
 * in vecDotType(weightType) encoding, equal to ggml's scalar vec_dot for the pair (integer block sums
 * exact, f32 scaling and accumulation in ggml's order). The result is an f32 value.
 */
export function vecDot(weightType: number, n: number, w: Uint8Array, wOffset: number, act: Uint8Array, actOffset: number): number {
  const kernel = KERNELS[weightType];
  if (!kernel) throw unsupportedType(weightType, "matrix multiplication");
  checkRowBytes(weightType, n, w, wOffset, "dot product weights");
  checkRowBytes(kernel.activationType, n, act, actOffset, "dot product activations");
  return kernel.dot(n / kernel.blockSize, w, wOffset, act, actOffset);
}
