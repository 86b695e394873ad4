// A tiny random-weight Gemma 3 model as GGUF entries and F32 tensors, shaped as llama.cpp's gemma3
// loader requires (key and tensor list: /work/shared/reference/references.md §3).
import { type GgufEntry, type GgufWriteTensor, ggufArray, ggufValue } from "../../../src/formats/gguf/index.js";
import { GgmlType } from "../../../src/quant/types.js";

const E = 64;
const HEADS = 2;
const KV_HEADS = 1;
const HEAD_DIM = 32;
const FFN = 128;
const LAYERS = 2;

const WORDS = ["▁hello", "▁world", ",", ".", "▁the", "▁a", "!", "?"];

/** `<pad>` `<eos>` `<bos>` `<unk>`, the 256 byte tokens, some words, then the two turn markers. */
export function tinyVocab(): { tokens: string[]; types: number[] } {
  const tokens = ["<pad>", "<eos>", "<bos>", "<unk>"];
  const types = [3, 3, 3, 2]; // control, control, control, unknown (llama.cpp token_type ids)
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6); // byte
  }
  for (const w of WORDS) {
    tokens.push(w);
    types.push(1); // normal
  }
  tokens.push("<start_of_turn>", "<end_of_turn>");
  types.push(3, 3);
  return { tokens, types };
}

function weights(n: number, seed: number, scale: number): Uint8Array {
  const out = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = (x / 2 ** 32 - 0.5) * 2 * scale;
  }
  return new Uint8Array(out.buffer);
}

function ones(n: number): Uint8Array {
  return new Uint8Array(new Float32Array(n).fill(1).buffer);
}

export function tinyGemma3(): { entries: [string, GgufEntry][]; tensors: GgufWriteTensor[] } {
  const { tokens, types } = tinyVocab();
  const V = tokens.length;
  const entries: [string, GgufEntry][] = [
    ["general.architecture", ggufValue.string("gemma3")],
    ["gemma3.context_length", ggufValue.u32(512)],
    ["gemma3.embedding_length", ggufValue.u32(E)],
    ["gemma3.block_count", ggufValue.u32(LAYERS)],
    ["gemma3.feed_forward_length", ggufValue.u32(FFN)],
    ["gemma3.attention.head_count", ggufValue.u32(HEADS)],
    ["gemma3.attention.head_count_kv", ggufValue.u32(KV_HEADS)],
    ["gemma3.attention.key_length", ggufValue.u32(HEAD_DIM)],
    ["gemma3.attention.value_length", ggufValue.u32(HEAD_DIM)],
    ["gemma3.attention.layer_norm_rms_epsilon", ggufValue.f32(1e-6)],
    ["gemma3.rope.freq_base", ggufValue.f32(1e6)],
    ["gemma3.attention.sliding_window", ggufValue.u32(4)],
    ["tokenizer.ggml.model", ggufValue.string("llama")],
    ["tokenizer.ggml.tokens", ggufValue.array(ggufArray.string(tokens))],
    ["tokenizer.ggml.scores", ggufValue.array(ggufArray.f32(tokens.map((_, i) => -i)))],
    ["tokenizer.ggml.token_type", ggufValue.array(ggufArray.i32(types))],
    ["tokenizer.ggml.bos_token_id", ggufValue.u32(2)],
    ["tokenizer.ggml.eos_token_id", ggufValue.u32(1)],
    ["tokenizer.ggml.unknown_token_id", ggufValue.u32(3)],
    ["tokenizer.ggml.padding_token_id", ggufValue.u32(0)],
    ["tokenizer.ggml.add_space_prefix", ggufValue.bool(false)],
  ];
  let seed = 1;
  const t = (name: string, dims: number[], data?: Uint8Array): GgufWriteTensor => ({
    name,
    dims,
    type: GgmlType.F32,
    data: data ?? weights(dims.reduce((a, b) => a * b, 1), seed++, 0.1),
  });
  const tensors = [t("token_embd.weight", [E, V]), t("output_norm.weight", [E], ones(E))];
  for (let i = 0; i < LAYERS; i++) {
    const p = `blk.${i}.`;
    tensors.push(
      t(`${p}attn_norm.weight`, [E], ones(E)),
      t(`${p}attn_q.weight`, [E, HEADS * HEAD_DIM]),
      t(`${p}attn_k.weight`, [E, KV_HEADS * HEAD_DIM]),
      t(`${p}attn_v.weight`, [E, KV_HEADS * HEAD_DIM]),
      t(`${p}attn_q_norm.weight`, [HEAD_DIM], ones(HEAD_DIM)),
      t(`${p}attn_k_norm.weight`, [HEAD_DIM], ones(HEAD_DIM)),
      t(`${p}attn_output.weight`, [HEADS * HEAD_DIM, E]),
      t(`${p}post_attention_norm.weight`, [E], ones(E)),
      t(`${p}ffn_norm.weight`, [E], ones(E)),
      t(`${p}ffn_gate.weight`, [E, FFN]),
      t(`${p}ffn_up.weight`, [E, FFN]),
      t(`${p}ffn_down.weight`, [FFN, E]),
      t(`${p}post_ffw_norm.weight`, [E], ones(E)),
    );
  }
  return { entries, tensors };
}
