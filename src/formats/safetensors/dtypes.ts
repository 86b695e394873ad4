import { GgmlType } from "../../quant/types.js";
import { GemmaError } from "../../util/errors.js";
import type { SafetensorsTensorInfo } from "./types.js";

/**
 * The dtypes a safetensors header may name, with their width in bits, as the official reader
 * (huggingface/safetensors:safetensors/src/tensor.rs, `enum Dtype` and `bitsize`) knows them.
 * Sub-byte types (F4, F6_*) are readable only when a tensor ends on a byte boundary.
 */
const DTYPE_BITS: ReadonlyMap<string, number> = new Map([
  ["BOOL", 8],
  ["F4", 4],
  ["F6_E2M3", 6],
  ["F6_E3M2", 6],
  ["U8", 8],
  ["I8", 8],
  ["F8_E5M2", 8],
  ["F8_E4M3", 8],
  ["F8_E8M0", 8],
  ["F8_E4M3FNUZ", 8],
  ["F8_E5M2FNUZ", 8],
  ["I16", 16],
  ["U16", 16],
  ["F16", 16],
  ["BF16", 16],
  ["I32", 32],
  ["U32", 32],
  ["F32", 32],
  ["C64", 64],
  ["F64", 64],
  ["I64", 64],
  ["U64", 64],
]);

/** The dtypes this runtime computes with, kept as the same bytes in memory (BF16 stays BF16). */
const COMPUTE_TYPES: ReadonlyMap<string, GgmlType> = new Map<string, GgmlType>([
  ["F32", GgmlType.F32],
  ["F16", GgmlType.F16],
  ["BF16", GgmlType.BF16],
]);

/** Bits per element of a safetensors dtype, or undefined when the official reader would refuse the name. */
export function dtypeBits(dtype: string): number | undefined {
  return DTYPE_BITS.get(dtype);
}

export function knownDtypes(): readonly string[] {
  return [...DTYPE_BITS.keys()];
}

/** The ggml type id with the same in-memory layout, or undefined for dtypes this runtime cannot compute with. */
export function ggmlTypeOfDtype(dtype: string): GgmlType | undefined {
  return COMPUTE_TYPES.get(dtype);
}

/** ggml type of a tensor, or UNSUPPORTED_TENSOR_TYPE naming the tensor, its dtype and its file. */
export function computeTypeOf(info: SafetensorsTensorInfo): GgmlType {
  const type = COMPUTE_TYPES.get(info.dtype);
  if (type === undefined) {
    throw new GemmaError(
      "UNSUPPORTED_TENSOR_TYPE",
      `${info.source.name}: tensor "${info.name}" has dtype ${info.dtype}, which gemma-ts cannot compute with (supported: ${[
        ...COMPUTE_TYPES.keys(),
      ].join(", ")})`,
    );
  }
  return type;
}
