import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rng } from "./rng.js";

/**
 * Random-weight Hugging Face Gemma folders for the converter tests (test/model/convert.test.ts) and their
 * llama-quantize golden (scripts/ref/convert-llama-quantize.ts): config.json, an F32 model.safetensors with
 * seeded weights, and the 320-token tokenizer.json / tokenizer_config.json of test/fixtures/tiny/gemma3-mm-bf16
 * (its tokenizer.json lists no merges; written here with every merge that makes an ordinary piece from two others,
 * ranked by the piece's id, as transformers' converter lists Gemma's merges).
 * Sizes are chosen for llama-quantize's rules: rows of 256 (whole K-quant super-blocks) and rows of 64 or 96
 * (the fallbacks), eight layers for Q4_K_M's "more bits" layers; an untied output matrix and a local/global
 * pattern other than llama.cpp's default (written as a per-layer array) on gemma3-64-untied.
 */
export interface TinyFolderSpec {
  readonly config: Record<string, unknown>;
  /** Adds lm_head.weight (and tie_word_embeddings false). */
  readonly untied?: boolean;
  readonly seed: number;
}

const TOKENIZER_DIR = "test/fixtures/tiny/gemma3-mm-bf16";
const VOCAB = 320;

export const TINY_FOLDERS: Readonly<Record<string, TinyFolderSpec>> = {
  "gemma3-256": {
    seed: 31,
    config: {
      model_type: "gemma3_text",
      hidden_size: 256,
      intermediate_size: 96,
      num_hidden_layers: 8,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 32,
      query_pre_attn_scalar: 32,
      sliding_window: 8,
      rope_theta: 1000000,
      rope_local_base_freq: 10000,
      rope_scaling: { rope_type: "linear", factor: 2 },
    },
  },
  "gemma2-64": {
    seed: 32,
    config: {
      model_type: "gemma2",
      hidden_size: 64,
      intermediate_size: 64,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      query_pre_attn_scalar: 16,
      sliding_window: 8,
      attn_logit_softcapping: 50,
      final_logit_softcapping: 30,
    },
  },
  "gemma3-64-untied": {
    seed: 34,
    untied: true,
    config: {
      model_type: "gemma3_text",
      hidden_size: 64,
      intermediate_size: 64,
      num_hidden_layers: 4,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 32,
      query_pre_attn_scalar: 32,
      sliding_window: 6,
      layer_types: ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
      rope_theta: 1000000,
      rope_local_base_freq: 10000,
    },
  },
  "gemma-64": {
    seed: 33,
    config: {
      model_type: "gemma",
      hidden_size: 64,
      intermediate_size: 96,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 1,
      head_dim: 16,
      hidden_act: "gelu_pytorch_tanh",
    },
  },
};

/** Writes the folder for `spec` (merged with `overrides`) under `dir`; `rawTokenizer` keeps the merge-less file. */
export function writeTinyFolder(dir: string, spec: TinyFolderSpec, overrides: Record<string, unknown> = {}, rawTokenizer = false): void {
  const config: Record<string, unknown> = { max_position_embeddings: 512, rms_norm_eps: 1e-6, vocab_size: VOCAB, ...spec.config, ...overrides };
  if (spec.untied) config["tie_word_embeddings"] = false;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 1));
  writeFileSync(join(dir, "model.safetensors"), safetensors(tensorsOf(config, spec)));
  copyFileSync(join(TOKENIZER_DIR, "tokenizer_config.json"), join(dir, "tokenizer_config.json"));
  const tokenizer = readFileSync(join(TOKENIZER_DIR, "tokenizer.json"), "utf8");
  writeFileSync(join(dir, "tokenizer.json"), rawTokenizer ? tokenizer : JSON.stringify(withMerges(JSON.parse(tokenizer))));
}

function withMerges(json: { model: { vocab: Record<string, number>; merges: unknown[] }; added_tokens: { id: number }[] }) {
  const vocab = json.model.vocab;
  const added = new Set(json.added_tokens.map((t) => t.id));
  const merges: [string, string][] = [];
  for (const [piece, id] of Object.entries(vocab).sort((a, b) => a[1] - b[1])) {
    if (added.has(id) || /^<0x[0-9A-F]{2}>$/.test(piece)) continue;
    for (let cut = 1; cut < piece.length; cut++) {
      if (piece.slice(0, cut) in vocab && piece.slice(cut) in vocab) merges.push([piece.slice(0, cut), piece.slice(cut)]);
    }
  }
  return { ...json, model: { ...json.model, merges } };
}

function tensorsOf(c: Record<string, unknown>, spec: TinyFolderSpec): Map<string, { shape: number[]; data: Float32Array }> {
  const d = c["hidden_size"] as number;
  const ffn = c["intermediate_size"] as number;
  const hd = c["head_dim"] as number;
  const q = (c["num_attention_heads"] as number) * hd;
  const kv = (c["num_key_value_heads"] as number) * hd;
  const gemma1 = c["model_type"] === "gemma";
  const qkNorm = c["model_type"] === "gemma3_text";
  const random = gaussian(spec.seed);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const put = (name: string, shape: number[], std: number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = random() * std;
    out.set(name, { shape, data });
  };
  put("model.embed_tokens.weight", [VOCAB, d], 0.25);
  put("model.norm.weight", [d], 0.1);
  if (spec.untied) put("lm_head.weight", [VOCAB, d], 0.25);
  for (let i = 0; i < (c["num_hidden_layers"] as number); i++) {
    const p = `model.layers.${i}.`;
    put(p + "input_layernorm.weight", [d], 0.1);
    put(p + "post_attention_layernorm.weight", [d], 0.1);
    if (!gemma1) {
      put(p + "pre_feedforward_layernorm.weight", [d], 0.1);
      put(p + "post_feedforward_layernorm.weight", [d], 0.1);
    }
    if (qkNorm) {
      put(p + "self_attn.q_norm.weight", [hd], 0.1);
      put(p + "self_attn.k_norm.weight", [hd], 0.1);
    }
    put(p + "self_attn.q_proj.weight", [q, d], 1 / Math.sqrt(d));
    put(p + "self_attn.k_proj.weight", [kv, d], 1 / Math.sqrt(d));
    put(p + "self_attn.v_proj.weight", [kv, d], 1 / Math.sqrt(d));
    put(p + "self_attn.o_proj.weight", [d, q], 1 / Math.sqrt(q));
    put(p + "mlp.gate_proj.weight", [ffn, d], 1 / Math.sqrt(d));
    put(p + "mlp.up_proj.weight", [ffn, d], 1 / Math.sqrt(d));
    put(p + "mlp.down_proj.weight", [d, ffn], 1 / Math.sqrt(ffn));
  }
  return out;
}

/** Standard normal samples (Box-Muller over the seeded mulberry32). */
function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function safetensors(tensors: Map<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let at = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer), at);
    at += t.data.byteLength;
  }
  return out;
}
