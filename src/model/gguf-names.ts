/**
 * Tensor names of llama.cpp's GGUF files by role (ggml-org/llama.cpp:gguf-py/gguf/constants.py, TENSOR_NAMES;
 * gemma-architecture.md §3.3). The one name table for GGUF input.
 */
export const GGUF_NAMES = {
  tokenEmbedding: "token_embd.weight",
  outputNorm: "output_norm.weight",
  output: "output.weight",
  /**
   * sentence-transformers' Dense modules after pooling, in order (EmbeddingGemma 768 -> 3072 -> 768, no bias), as
   * convert_hf_to_gguf.py --sentence-transformers-dense-modules writes them (ggml-org/llama.cpp:conversion/gemma.py).
   */
  dense: ["dense_2.weight", "dense_3.weight"],
  layer: {
    attnNorm: "attn_norm.weight",
    wq: "attn_q.weight",
    wk: "attn_k.weight",
    wv: "attn_v.weight",
    wo: "attn_output.weight",
    qNorm: "attn_q_norm.weight",
    kNorm: "attn_k_norm.weight",
    postAttnNorm: "post_attention_norm.weight",
    ffnNorm: "ffn_norm.weight",
    wGate: "ffn_gate.weight",
    wUp: "ffn_up.weight",
    wDown: "ffn_down.weight",
    postFfnNorm: "post_ffw_norm.weight",
  },
} as const;

export function ggufLayerName(layer: number, role: keyof typeof GGUF_NAMES.layer): string {
  return `blk.${layer}.${GGUF_NAMES.layer[role]}`;
}
