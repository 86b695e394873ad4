import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { JsonObject } from "../../src/formats/hf/json.js";
import { configFromHf, hfEmbeddingLayout } from "../../src/model/hf-config.js";
import { isGemmaError, type ErrorCode } from "../../src/util/errors.js";

/**
 * config.json -> ModelConfig against what transformers itself derives from the same partial configs
 * (test/golden/model/hf-configs.json, scripts/ref/model-hf-bf16.py: config objects after defaults and the
 * attention modules' windows and score scaling).
 */
interface Case {
  config: JsonObject;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  maxPositionEmbeddings: number;
  rmsNormEps: number;
  attentionScaling: number;
  attnLogitSoftcapping: number | null;
  finalLogitSoftcapping: number | null;
  tieWordEmbeddings: boolean;
  perLayer: { slidingWindow: number | null; ropeType: string; ropeTheta: number; ropeFactor: number | null }[];
}

const cases = (JSON.parse(readFileSync("test/golden/model/hf-configs.json", "utf8")) as { cases: Record<string, Case> }).cases;

for (const [name, c] of Object.entries(cases)) {
  if (name === "gemma3-no-text-config") continue;
  test(`config ${name}: the same model as transformers builds from it`, () => {
    const cfg = configFromHf(c.config, 1000);
    const multimodal = c.config["model_type"] === "gemma3";
    assert.deepEqual(
      {
        layers: cfg.nLayers,
        hidden: cfg.dModel,
        heads: cfg.nHeads,
        kvHeads: cfg.nKvHeads,
        headDim: cfg.headDim,
        ffn: cfg.dFfn,
        ctx: cfg.contextLength,
        eps: cfg.normEps,
        queryScale: cfg.queryScale,
        attnSoftcap: cfg.attnSoftcap,
        // Gemma3ForConditionalGeneration's forward has no final soft-cap, whatever text_config says.
        finalSoftcap: cfg.finalSoftcap,
        embedScale: cfg.embedScale,
      },
      {
        layers: c.layers,
        hidden: c.hiddenSize,
        heads: c.heads,
        kvHeads: c.kvHeads,
        headDim: c.headDim,
        ffn: c.ffn,
        ctx: c.maxPositionEmbeddings,
        eps: Math.fround(c.rmsNormEps),
        queryScale: Math.fround(c.attentionScaling),
        attnSoftcap: c.attnLogitSoftcapping ?? 0,
        finalSoftcap: multimodal ? 0 : (c.finalLogitSoftcapping ?? 0),
        embedScale: Math.fround(Math.sqrt(c.hiddenSize)),
      },
    );
    assert.deepEqual(
      cfg.layers,
      c.perLayer.map((l) => ({
        window: l.slidingWindow ?? 0,
        ropeBase: l.ropeTheta,
        ropeFreqScale: l.ropeType === "linear" ? 1 / l.ropeFactor! : 1,
      })),
    );
    assert.deepEqual(hfEmbeddingLayout(c.config), { vocabRows: c.vocabSize, tiedEmbeddings: c.tieWordEmbeddings });
    assert.equal(cfg.vocabSize, 1000);
  });
}

test("a multimodal config without text_config: transformers would build an arbitrary default size; we refuse", () => {
  assert.deepEqual(hfEmbeddingLayout(cases["gemma3-no-text-config"]!.config), { vocabRows: 262208, tiedEmbeddings: true });
  throwsCode(() => configFromHf(cases["gemma3-no-text-config"]!.config, 10), "MODEL_MISSING_KEY", /text_config\.num_hidden_layers is missing/);
});

const base = (extra: JsonObject = {}): JsonObject => ({
  model_type: "gemma2",
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  ...extra,
});

function throwsCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  assert.throws(fn, (e) => {
    assert.ok(isGemmaError(e), `not a GemmaError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test("bad configs are typed errors naming the key", () => {
  const without = (key: string) => {
    const c = base();
    delete c[key];
    return c;
  };
  throwsCode(() => configFromHf(without("model_type"), 10), "MODEL_MISSING_KEY", /model_type/);
  throwsCode(() => configFromHf(without("hidden_size"), 10), "MODEL_MISSING_KEY", /hidden_size is missing/);
  throwsCode(() => configFromHf(base({ hidden_size: null }), 10), "MODEL_MISSING_KEY", /hidden_size/);
  throwsCode(() => configFromHf(base({ model_type: 3 }), 10), "HF_BAD_CONFIG", /model_type/);
  throwsCode(() => configFromHf(base({ hidden_size: "64" }), 10), "HF_BAD_CONFIG", /hidden_size is the string "64", not a number/);
  throwsCode(() => configFromHf(base({ num_hidden_layers: 2.5 }), 10), "MODEL_BAD_CONFIG", /num_hidden_layers/);
  throwsCode(() => configFromHf(base({ intermediate_size: 0 }), 10), "MODEL_BAD_CONFIG", /intermediate_size/);
  throwsCode(() => configFromHf(base({ num_attention_heads: 3 }), 10), "MODEL_BAD_CONFIG", /3 attention heads/);
  throwsCode(() => configFromHf(base({ head_dim: 15 }), 10), "MODEL_BAD_CONFIG", /head_dim/);
  throwsCode(() => configFromHf(base({ layer_types: ["sliding_attention"] }), 10), "MODEL_BAD_CONFIG", /1 entries for 4 layers/);
  throwsCode(() => configFromHf(base({ layer_types: "all" }), 10), "HF_BAD_CONFIG", /layer_types/);
  throwsCode(() => configFromHf(base({ rope_scaling: { rope_type: "linear" } }), 10), "MODEL_MISSING_KEY", /rope_scaling\.factor/);
  throwsCode(() => configFromHf(base({ rope_scaling: { rope_type: "linear", factor: -2 } }), 10), "MODEL_BAD_CONFIG", /factor/);
  throwsCode(() => configFromHf(base({ rms_norm_eps: "1e-6" }), 10), "HF_BAD_CONFIG", /rms_norm_eps/);
  throwsCode(() => configFromHf(base({ use_bidirectional_attention: "yes" }), 10), "HF_BAD_CONFIG", /use_bidirectional_attention/);
  throwsCode(() => configFromHf({ model_type: "gemma3", text_config: [] }, 10), "HF_BAD_CONFIG", /text_config/);
  throwsCode(
    () => configFromHf(base({ model_type: "gemma3_text", rope_parameters: { rope_type: "default", rope_theta: 5 } }), 10),
    "MODEL_BAD_CONFIG",
    /nested by layer type/,
  );
  throwsCode(() => configFromHf(base({ rope_parameters: { full_attention: {} } }), 10), "MODEL_BAD_CONFIG", /nested/);
});

test("unsupported models and features are MODEL_UNSUPPORTED_ARCH", () => {
  for (const modelType of ["gemma3n", "recurrent_gemma", "paligemma", "siglip_vision_model", "llama"]) {
    throwsCode(() => configFromHf(base({ model_type: modelType }), 10), "MODEL_UNSUPPORTED_ARCH", new RegExp(`"${modelType}" is not supported`));
  }
  const unsupported: [JsonObject, RegExp][] = [
    [{ model_type: "gemma3_text", use_bidirectional_attention: true }, /EmbeddingGemma/],
    [{ attention_bias: true }, /attention_bias/],
    [{ hidden_activation: "gelu" }, /hidden_activation is "gelu"/], // exact GELU in Gemma2Config
    [{ model_type: "gemma", hidden_act: "relu" }, /hidden_act is "relu"/],
    [{ rope_scaling: { rope_type: "yarn", factor: 4 } }, /rope_type "yarn"/],
    [{ rope_parameters: { rope_type: "default", partial_rotary_factor: 0.5 } }, /partial_rotary_factor/],
    [{ layer_types: ["sliding_attention", "full_attention", "chunked_attention", "full_attention"] }, /layer_types\[2\]/],
  ];
  for (const [extra, message] of unsupported) throwsCode(() => configFromHf(base(extra), 10), "MODEL_UNSUPPORTED_ARCH", message);
});

test("Gemma 1's legacy hidden_act \"gelu\" is the tanh GELU; explicit nulls mean none; layer_types do not apply to Gemma 1", () => {
  const g1 = configFromHf(base({ model_type: "gemma", hidden_act: "gelu", hidden_activation: null, layer_types: ["sliding_attention"] }), 10);
  assert.ok(g1.layers.every((l) => l.window === 0));
  assert.equal(g1.queryScale, Math.fround(1 / 4));
  const noCaps = configFromHf(base({ attn_logit_softcapping: null, final_logit_softcapping: null, sliding_window: null }), 10);
  assert.equal(noCaps.attnSoftcap, 0);
  assert.equal(noCaps.finalSoftcap, 0);
  assert.ok(noCaps.layers.every((l) => l.window === 0));
  const defaults = configFromHf(base(), 10);
  assert.equal(defaults.attnSoftcap, 50);
  assert.equal(defaults.finalSoftcap, 30);
});
