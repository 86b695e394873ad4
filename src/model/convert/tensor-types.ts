import { GgmlType } from "../../quant/types.js";

/** What `gemma convert --type` offers: plain float files, and the quantizations llama.cpp users ask for most. */
export const CONVERT_TYPES = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"] as const;
export type ConvertType = (typeof CONVERT_TYPES)[number];

export function isConvertType(s: string): s is ConvertType {
  return (CONVERT_TYPES as readonly string[]).includes(s);
}

/**
 * `general.file_type` (llama.cpp's `enum llama_ftype`, ggml-org/llama.cpp:include/llama.h): ALL_F32 0,
 * MOSTLY_F16 1, MOSTLY_Q4_0 2, MOSTLY_Q8_0 7, MOSTLY_Q4_K_M 15, MOSTLY_BF16 32.
 */
export const FILE_TYPE: Readonly<Record<ConvertType, number>> = { f32: 0, f16: 1, bf16: 32, q8_0: 7, q4_0: 2, q4_k_m: 15 };

/** A weight as the type rules see it: its GGUF name, its row length (ne0) and its number of dimensions. */
export interface TensorShapeInfo {
  readonly name: string;
  readonly ne0: number;
  readonly nDims: number;
  /** The layer of a `blk.N.` tensor. */
  readonly layer: number | undefined;
}

export interface ModelShapeInfo {
  readonly nLayers: number;
  /** No output.weight: the token embedding is the output matrix too. */
  readonly tiedOutput: boolean;
}

/**
 * The ggml type of one tensor of the converted file. Vectors (norm weights) stay F32, as both of llama.cpp's
 * tools leave them. The float types store every matrix in that type; q8_0, q4_0 and q4_k_m pick per tensor
 * exactly as llama-quantize does for that file type without an importance matrix (what a user gets from
 * `llama-quantize model-f32.gguf out.gguf Q4_K_M`), in ggml-org/llama.cpp:src/llama-quant.cpp:
 * llama_tensor_get_type, llama_tensor_get_type_impl and tensor_type_fallback.
 */
export function tensorType(target: ConvertType, t: TensorShapeInfo, m: ModelShapeInfo): number {
  if (t.nDims < 2) return GgmlType.F32;
  switch (target) {
    case "f32":
      return GgmlType.F32;
    case "f16":
      return GgmlType.F16;
    case "bf16":
      return GgmlType.BF16;
    case "q8_0":
      return withFallback(GgmlType.Q8_0, t.ne0);
    case "q4_0":
      return withFallback(roleType(GgmlType.Q4_0, false, t, m), t.ne0);
    case "q4_k_m":
      return withFallback(roleType(GgmlType.Q4_K, true, t, m), t.ne0);
  }
}

/**
 * llama-quantize's choice by role for the Gemma tensors. The output matrix (and the token embedding when it is
 * the output too) takes Q6_K, or Q8_0 when its rows are not whole 256-element super-blocks. Q4_K_M gives
 * attn_v and ffn_down Q6_K in the first and last eighth of the layers and every third layer between
 * ("use_more_bits"); its layer counters run over tensors sorted by layer, so they are the layer index.
 */
function roleType(base: number, kQuantMix: boolean, t: TensorShapeInfo, m: ModelShapeInfo): number {
  const isOutput = t.name === "output.weight" || (m.tiedOutput && t.name === "token_embd.weight");
  if (isOutput) return t.ne0 % 256 !== 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
  if (!kQuantMix || t.layer === undefined) return base;
  const moreBits = useMoreBits(t.layer, m.nLayers);
  if (t.name.endsWith(".attn_v.weight") && moreBits) return GgmlType.Q6_K;
  if (t.name.endsWith(".ffn_down.weight") && moreBits) return GgmlType.Q6_K;
  return base;
}

function useMoreBits(layer: number, nLayers: number): boolean {
  const eighth = Math.trunc(nLayers / 8);
  return layer < eighth || layer >= Math.trunc((7 * nLayers) / 8) || (layer - eighth) % 3 === 2;
}

/**
 * Rows that are not whole blocks of the chosen type: the K-quants fall back to a 32-element type
 * (Q4_K -> Q5_0, Q6_K -> Q8_0), and a row that is not whole 32-element blocks either is stored as F16.
 */
function withFallback(type: number, ne0: number): number {
  if (type === GgmlType.Q4_K || type === GgmlType.Q6_K) {
    if (ne0 % 256 === 0) return type;
    type = type === GgmlType.Q4_K ? GgmlType.Q5_0 : GgmlType.Q8_0;
  }
  return ne0 % 32 === 0 ? type : GgmlType.F16;
}
