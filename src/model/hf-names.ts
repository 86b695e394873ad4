/**
 * Tensor names of Hugging Face Gemma checkpoints by role, after the folder reader has mapped multimodal layouts
 * (`language_model.model.*`, `model.language_model.*`) to these plain text-model names
 * (huggingface/transformers:src/transformers/models/{gemma,gemma2,gemma3}/modeling_*.py; gemma-architecture.md
 * §3.3, §4.1). The one name table for Hugging Face input.
 */
export const HF_NAMES = {
  tokenEmbedding: "model.embed_tokens.weight",
  outputNorm: "model.norm.weight",
  /** Only read when tie_word_embeddings is false; every released Gemma ties the head to the embedding. */
  output: "lm_head.weight",
  /**
   * sentence-transformers keeps its Dense modules in their own folders (2_Dense/, 3_Dense/): load-hf.ts names their
   * weights `<folder>/linear.weight` in the order modules.json lists them.
   */
  dense: [],
  layer: {
    attnNorm: "input_layernorm.weight",
    wq: "self_attn.q_proj.weight",
    wk: "self_attn.k_proj.weight",
    wv: "self_attn.v_proj.weight",
    wo: "self_attn.o_proj.weight",
    qNorm: "self_attn.q_norm.weight",
    kNorm: "self_attn.k_norm.weight",
    postAttnNorm: "post_attention_layernorm.weight",
    ffnNorm: "pre_feedforward_layernorm.weight",
    wGate: "mlp.gate_proj.weight",
    wUp: "mlp.up_proj.weight",
    wDown: "mlp.down_proj.weight",
    postFfnNorm: "post_feedforward_layernorm.weight",
  },
} as const;

export type HfLayerRole = keyof typeof HF_NAMES.layer;

/**
 * A layer tensor's name. Models without post-norms (Gemma 1, GemmaDecoderLayer) call their pre-FFN norm
 * `post_attention_layernorm`: the same name that is the post-attention norm in Gemma 2/3.
 */
export function hfLayerName(layer: number, role: HfLayerRole, postNorms: boolean): string {
  const name = !postNorms && role === "ffnNorm" ? HF_NAMES.layer.postAttnNorm : HF_NAMES.layer[role];
  return `model.layers.${layer}.${name}`;
}
