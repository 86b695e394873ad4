import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openHfFolder } from "../../src/formats/hf/folder.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import { GgmlType } from "../../src/quant/types.js";
import { f32ToF16 } from "../../src/util/half.js";
import { isGemmaError, type ErrorCode } from "../../src/util/errors.js";
import { buildFile, memoryOpener } from "../formats/safetensors/helpers.js";

/**
 * The loader on small synthetic folders (safetensors written here): what it keeps in the arena, and the typed
 * errors for folders that do not match their config.json.
 */
const TOKENIZER_JSON = readFileSync("test/fixtures/tiny/gemma3-mm-bf16/tokenizer.json");
const TOKENS = 281;
const D = 8;
const F = 16;
const HEADS = 2;
const KV = 1;
const HD = 4;

type Tensor = { dtype: string; shape: number[]; data?: Uint8Array };

function gemma2Tensors(layers = 1): Map<string, Tensor> {
  const t = new Map<string, Tensor>([
    ["model.embed_tokens.weight", { dtype: "F16", shape: [TOKENS, D] }],
    ["model.norm.weight", { dtype: "F32", shape: [D] }],
  ]);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    for (const n of ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]) {
      t.set(`${p}${n}.weight`, { dtype: "BF16", shape: [D] });
    }
    t.set(`${p}self_attn.q_proj.weight`, { dtype: "F16", shape: [HEADS * HD, D] });
    t.set(`${p}self_attn.k_proj.weight`, { dtype: "F16", shape: [KV * HD, D] });
    t.set(`${p}self_attn.v_proj.weight`, { dtype: "F16", shape: [KV * HD, D] });
    t.set(`${p}self_attn.o_proj.weight`, { dtype: "F16", shape: [D, HEADS * HD] });
    t.set(`${p}mlp.gate_proj.weight`, { dtype: "F32", shape: [F, D] });
    t.set(`${p}mlp.up_proj.weight`, { dtype: "F32", shape: [F, D] });
    t.set(`${p}mlp.down_proj.weight`, { dtype: "F32", shape: [D, F] });
  }
  return t;
}

const CONFIG = {
  model_type: "gemma2",
  hidden_size: D,
  intermediate_size: F,
  num_hidden_layers: 1,
  num_attention_heads: HEADS,
  num_key_value_heads: KV,
  head_dim: HD,
  vocab_size: TOKENS,
};

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4 };

function safetensors(tensors: Map<string, Tensor>): Uint8Array {
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const size = t.shape.reduce((a, b) => a * b, BYTES[t.dtype]!);
    const data = t.data ?? new Uint8Array(size).map((_, i) => (i * 37 + name.length) & 0x3f);
    assert.equal(data.length, size);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    parts.push(data);
    offset += size;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return buildFile(header, data);
}

async function load(opts: { config?: object; tensors?: Map<string, Tensor>; tokenizer?: boolean } = {}) {
  const files = new Map<string, Uint8Array>([
    ["config.json", new TextEncoder().encode(JSON.stringify(opts.config ?? CONFIG))],
    ["model.safetensors", safetensors(opts.tensors ?? gemma2Tensors())],
  ]);
  if (opts.tokenizer !== false) files.set("tokenizer.json", TOKENIZER_JSON);
  const folder = await openHfFolder(memoryOpener(files));
  try {
    return await loadHfModel(folder);
  } finally {
    await folder.close();
  }
}

async function rejectsCode(p: Promise<unknown>, code: ErrorCode, message: RegExp): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isGemmaError(e), `not a GemmaError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

test("matrices keep their stored bytes and type; norm weights become f32 1 + w", async () => {
  const tensors = gemma2Tensors();
  const q = new Uint8Array(HEADS * HD * D * 2).map((_, i) => (i * 11) & 0xff);
  tensors.set("model.layers.0.self_attn.q_proj.weight", { dtype: "F16", shape: [HEADS * HD, D], data: q });
  const w = [0.5, -1, 0, 2.25, -0.125, 1e-3, 3, -7.5];
  tensors.set("model.norm.weight", { dtype: "F32", shape: [D], data: new Uint8Array(Float32Array.from(w).buffer) });
  const h = [0.5, -0.25, 0, 1, 2, -2, 0.75, -0.5];
  tensors.set("model.layers.0.input_layernorm.weight", { dtype: "F16", shape: [D], data: new Uint8Array(Uint16Array.from(h, f32ToF16).buffer) });
  const model = await load({ tensors });
  const wq = model.weights.layers[0]!.wq;
  assert.equal(wq.type, GgmlType.F16);
  assert.deepEqual(model.arena.u8(wq.ptr, q.length), q);
  assert.equal(model.weights.layers[0]!.wGate.type, GgmlType.F32);
  const norm = model.weights.outputNorm;
  assert.deepEqual([...model.arena.f32(norm.ptr, D)], w.map((x) => Math.fround(1 + Math.fround(x))));
  const attnNorm = model.weights.layers[0]!.attnNorm;
  assert.deepEqual([...model.arena.f32(attnNorm.ptr, D)], h.map((x) => 1 + x));
  assert.equal(model.weights.output, model.weights.tokenEmbedding);
  assert.equal(model.config.vocabSize, TOKENS);
  assert.deepEqual(model.info.bytesByType, {
    F16: (TOKENS * D + 2 * HEADS * HD * D + 2 * KV * HD * D + D) * 2,
    F32: (D + 3 * F * D) * 4,
    BF16: 3 * D * 2,
  });
});

test("a tied lm_head.weight is ignored; an untied one is the LM head", async () => {
  const tensors = gemma2Tensors();
  tensors.set("lm_head.weight", { dtype: "BF16", shape: [TOKENS, D] });
  const tied = await load({ tensors });
  assert.equal(tied.weights.output, tied.weights.tokenEmbedding);
  const untied = await load({ tensors, config: { ...CONFIG, tie_word_embeddings: false } });
  assert.notEqual(untied.weights.output, untied.weights.tokenEmbedding);
  assert.equal(untied.weights.output.type, GgmlType.BF16);
  assert.equal(untied.weights.output.rows, TOKENS);
  await rejectsCode(load({ config: { ...CONFIG, tie_word_embeddings: false } }), "MODEL_MISSING_TENSOR", /lm_head\.weight/);
});

test("folders that do not match config.json are typed errors naming the tensor", async () => {
  const missing = gemma2Tensors();
  missing.delete("model.layers.0.mlp.up_proj.weight");
  await rejectsCode(load({ tensors: missing }), "MODEL_MISSING_TENSOR", /model\.layers\.0\.mlp\.up_proj\.weight is missing/);

  const shape = gemma2Tensors();
  shape.set("model.layers.0.self_attn.k_proj.weight", { dtype: "F16", shape: [HD * 2, D] });
  await rejectsCode(load({ tensors: shape }), "MODEL_BAD_TENSOR_SHAPE", /k_proj\.weight has shape \[8, 8\], expected \[4, 8\]/);

  await rejectsCode(load({ config: { ...CONFIG, vocab_size: 300 } }), "MODEL_BAD_TENSOR_SHAPE", /embed_tokens\.weight has shape \[281, 8\], expected \[300, 8\]/);

  const dtype = gemma2Tensors();
  dtype.set("model.layers.0.mlp.down_proj.weight", { dtype: "I32", shape: [D, F] });
  await rejectsCode(load({ tensors: dtype }), "UNSUPPORTED_TENSOR_TYPE", /down_proj\.weight" has dtype I32/);

  // A Gemma 2 folder labelled Gemma 1 would read its post-attention norms as pre-FFN norms.
  await rejectsCode(load({ config: { ...CONFIG, model_type: "gemma" } }), "MODEL_BAD_CONFIG", /pre_feedforward_layernorm\.weight" is not part of a gemma model/);

  await rejectsCode(load({ tokenizer: false }), "FILE_NOT_FOUND", /neither tokenizer\.json nor tokenizer\.model/);
});

test("tokenizer ids past the embedding rows must be control tokens", async () => {
  // The tokenizer's last id (280) is <image_soft_token>, a special token: 280 rows are enough.
  const small = gemma2Tensors();
  small.set("model.embed_tokens.weight", { dtype: "F16", shape: [TOKENS - 1, D] });
  const model = await load({ tensors: small, config: { ...CONFIG, vocab_size: TOKENS - 1 } });
  assert.equal(model.config.vocabSize, TOKENS - 1);
  const smaller = gemma2Tensors();
  smaller.set("model.embed_tokens.weight", { dtype: "F16", shape: [200, D] });
  await rejectsCode(load({ tensors: smaller, config: { ...CONFIG, vocab_size: 200 } }), "MODEL_BAD_TENSOR_SHAPE", /token 200 .* is not a control token/);
});
