import { describeJson, isJsonObject, type JsonObject } from "../formats/hf/json.js";
import { GemmaError } from "../util/errors.js";
import type { LayerConfig, ModelConfig, Pooling } from "./config.js";
import { ARCHITECTURES, type ArchitectureFacts } from "./generations.js";
import { badType, ConfigFields } from "./hf-config-fields.js";

/**
 * How transformers reads the config.json of one text model_type: which architecture it is, and the defaults of
 * its config class for every key a partial config may leave out (the official Gemma 3 4B `text_config` lists
 * six keys; gemma-architecture.md §4.2). Values shared with llama.cpp's rules come from ARCHITECTURES, where
 * the two agree (pattern period, local RoPE base, soft-caps); the rest are transformers' own.
 */
interface HfTextModelType {
  readonly architecture: keyof typeof ARCHITECTURES;
  readonly defaults: {
    readonly vocab_size: number;
    readonly num_attention_heads: number;
    readonly num_key_value_heads: number;
    readonly head_dim: number;
    readonly max_position_embeddings: number;
    readonly rms_norm_eps: number;
    /** Base of the global layers (of every layer where RoPE is not per layer type). */
    readonly rope_theta: number;
    /** undefined: the class has no such key (Gemma 1: the query scale is head_dim^-0.5). */
    readonly query_pre_attn_scalar: number | undefined;
    /** null: no window; undefined: the class has no such key. */
    readonly sliding_window: number | null | undefined;
    /** Soft-caps (null: none); undefined: the class has no such key, so a value in the file is ignored. */
    readonly attn_logit_softcapping: number | null | undefined;
    readonly final_logit_softcapping: number | null | undefined;
  };
  /** Keys naming the MLP activation, all of which must be a tanh GELU when present. */
  readonly activationKeys: readonly string[];
  /** GemmaConfig turns the legacy `"gelu"` of Google's Gemma 1 configs into the tanh approximation. */
  readonly geluMeansTanh: boolean;
  /**
   * Gemma 3: `rope_parameters` nested by layer type, legacy `rope_scaling` applied to full-attention layers only,
   * `rope_local_base_freq` for sliding layers.
   */
  readonly ropePerLayerType: boolean;
  /** Gemma 3's legacy `sliding_window_pattern` (period of the layer pattern) is read when layer_types is absent. */
  readonly readsPatternKey: boolean;
}

const cap = (v: number): number | null => (v > 0 ? v : null);

const GEMMA2_FACTS = ARCHITECTURES.gemma2!;
const GEMMA3_FACTS = ARCHITECTURES.gemma3!;

/**
 * Text model types by `model_type`. Defaults read from transformers 5.24 (the version behind the goldens;
 * test/golden/model/hf-configs.json records transformers' own reading of partial configs):
 * huggingface/transformers:src/transformers/models/{gemma,gemma2,gemma3}/configuration_*.py, and
 * RotaryEmbeddingConfigMixin.default_theta = 10000 in src/transformers/modeling_rope_utils.py.
 */
const HF_TEXT_MODEL_TYPES: Readonly<Record<string, HfTextModelType>> = {
  // GemmaConfig (models/gemma/configuration_gemma.py)
  gemma: {
    architecture: "gemma",
    defaults: {
      vocab_size: 256000,
      num_attention_heads: 16,
      num_key_value_heads: 16,
      head_dim: 256,
      max_position_embeddings: 8192,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      query_pre_attn_scalar: undefined,
      sliding_window: undefined,
      attn_logit_softcapping: undefined,
      final_logit_softcapping: undefined,
    },
    // GemmaMLP reads hidden_act; earlier releases preferred hidden_activation when set. Released configs carry either.
    activationKeys: ["hidden_act", "hidden_activation"],
    geluMeansTanh: true,
    ropePerLayerType: false,
    readsPatternKey: false,
  },
  // Gemma2Config (models/gemma2/configuration_gemma2.py)
  gemma2: {
    architecture: "gemma2",
    defaults: {
      vocab_size: 256000,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 256,
      max_position_embeddings: 8192,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      query_pre_attn_scalar: 256,
      sliding_window: GEMMA2_FACTS.defaultWindow, // 4096
      attn_logit_softcapping: cap(GEMMA2_FACTS.defaultAttnSoftcap), // 50.0
      final_logit_softcapping: cap(GEMMA2_FACTS.defaultFinalSoftcap), // 30.0
    },
    activationKeys: ["hidden_activation"],
    geluMeansTanh: false,
    ropePerLayerType: false,
    readsPatternKey: false,
  },
  // Gemma3TextConfig (models/gemma3/configuration_gemma3.py)
  gemma3_text: {
    architecture: "gemma3",
    defaults: {
      vocab_size: 262208,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 256,
      max_position_embeddings: 131072,
      rms_norm_eps: 1e-6,
      rope_theta: 1_000_000, // default_theta["global"]
      query_pre_attn_scalar: 256,
      // Not ARCHITECTURES.gemma3.defaultWindow: for llama.cpp a missing key means no window, for transformers 4096.
      sliding_window: 4096,
      attn_logit_softcapping: cap(GEMMA3_FACTS.defaultAttnSoftcap), // None
      final_logit_softcapping: cap(GEMMA3_FACTS.defaultFinalSoftcap), // None
    },
    activationKeys: ["hidden_activation"],
    geluMeansTanh: false,
    ropePerLayerType: true,
    readsPatternKey: true,
  },
};

/** Multimodal wrappers whose `text_config` is a text model of the given type (missing keys: its defaults). */
const MULTIMODAL_TEXT_TYPES: Readonly<Record<string, string>> = {
  // Gemma3Config.sub_configs_defaults: text_config is a Gemma3TextConfig whatever its model_type says.
  gemma3: "gemma3_text",
};

/** Model types of the family that gemma-ts does not run, with the reason given to the user. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  gemma3n: "Gemma 3n (MatFormer, per-layer embeddings, AltUp) is a different architecture",
  recurrent_gemma: "RecurrentGemma (Griffin recurrent blocks) is not supported",
  paligemma: "PaliGemma (prefix-LM attention over image tokens) is not supported",
  siglip_vision_model: "this is a vision encoder config, not a language model",
  siglip: "this is a SigLIP image-text config, not a language model",
};

/** The text model's config as transformers builds it: its model_type entry and the JSON it reads keys from. */
interface ResolvedHfConfig {
  readonly modelType: string;
  readonly type: HfTextModelType;
  readonly text: JsonObject;
  /** "text_config." for a multimodal config, "" otherwise (for messages). */
  readonly path: string;
  /** The config whose tie_word_embeddings decides the LM head (the wrapper's for multimodal models). */
  readonly headOwner: JsonObject;
  /** Gemma3ForConditionalGeneration never applies final_logit_softcapping (its forward has no cap). */
  readonly finalSoftcapApplies: boolean;
}

function resolve(config: JsonObject): ResolvedHfConfig {
  const modelType = config["model_type"];
  if (modelType === undefined) throw new GemmaError("MODEL_MISSING_KEY", `config.json: "model_type" is missing`);
  if (typeof modelType !== "string") throw new GemmaError("HF_BAD_CONFIG", `config.json: "model_type" is ${describeJson(modelType)}, not a string`);
  const wrapped = MULTIMODAL_TEXT_TYPES[modelType];
  if (wrapped !== undefined) {
    const sub = config["text_config"];
    if (sub !== undefined && sub !== null && !isJsonObject(sub)) {
      throw new GemmaError("HF_BAD_CONFIG", `config.json: "text_config" is ${describeJson(sub)}, not an object`);
    }
    return {
      modelType: wrapped,
      type: HF_TEXT_MODEL_TYPES[wrapped]!,
      text: sub ?? {},
      path: "text_config.",
      headOwner: config,
      finalSoftcapApplies: false,
    };
  }
  const type = HF_TEXT_MODEL_TYPES[modelType];
  if (type === undefined) {
    const why = UNSUPPORTED[modelType] ?? "not a Gemma text model type";
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `config.json: model_type "${modelType}" is not supported: ${why} (supported: ${[
        ...Object.keys(HF_TEXT_MODEL_TYPES),
        ...Object.keys(MULTIMODAL_TEXT_TYPES),
      ].join(", ")})`,
    );
  }
  return { modelType, type, text: config, path: "", headOwner: config, finalSoftcapApplies: true };
}

/** What the weights must look like, beyond ModelConfig: rows of the embedding, and whether lm_head is its own. */
export interface HfEmbeddingLayout {
  /** `vocab_size` (or its default): rows of model.embed_tokens.weight. */
  readonly vocabRows: number;
  /** tie_word_embeddings (default true): the LM head is the embedding and lm_head.weight, if stored, is unused. */
  readonly tiedEmbeddings: boolean;
}

export function hfEmbeddingLayout(config: JsonObject): HfEmbeddingLayout {
  const r = resolve(config);
  const f = new ConfigFields(r.text, r.path);
  const owner = new ConfigFields(r.headOwner, "");
  return { vocabRows: f.positiveInt("vocab_size", r.type.defaults.vocab_size), tiedEmbeddings: owner.bool("tie_word_embeddings", true) };
}

/**
 * ModelConfig from a Hugging Face config.json (a text model, or a multimodal one through its text_config), with
 * transformers' semantics and defaults. `vocabSize` is the number of token rows the model will use.
 */
export function configFromHf(config: JsonObject, vocabSize: number, pooling: Pooling = "none"): ModelConfig {
  const r = resolve(config);
  const { type, path } = r;
  const d = type.defaults;
  const f = new ConfigFields(r.text, path);
  const bidirectional = f.bool("use_bidirectional_attention", false);
  if (bidirectional && type.architecture !== "gemma3") {
    throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `config.json: ${path}use_bidirectional_attention is true; only Gemma 3 (EmbeddingGemma) has it`);
  }
  if (bidirectional && pooling === "none") {
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `config.json: ${path}use_bidirectional_attention is true (EmbeddingGemma), but the folder has no sentence-transformers ` +
        "Pooling module (modules.json and 1_Pooling/config.json) to turn its token vectors into an embedding",
    );
  }
  // transformers keeps config.json's sliding_window (EmbeddingGemma: 512) and, for bidirectional attention, masks
  // |i - j| < window // 2 + 1 (Gemma3TextConfig.__post_init__, _bidirectional_window_overlay); ModelConfig's window
  // on a bidirectional model means |i - j| <= window >> 1 (kernels/ref/attention.ts): the same set, so the file's value
  // is used as it is, as llama.cpp's converter writes it to GGUF.
  const architecture = bidirectional ? "gemma-embedding" : type.architecture;
  const facts = ARCHITECTURES[architecture]!;

  if (f.bool("attention_bias", false)) {
    throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `config.json: ${path}attention_bias is true; Gemma's projections have no biases`);
  }
  checkActivation(f, type);

  // The sizes have defaults in transformers too, but those describe one arbitrary model; every real config
  // states them, and a config without them is more likely broken than relying on a 2B/7B default.
  const nLayers = f.requiredPositiveInt("num_hidden_layers");
  const dModel = f.requiredPositiveInt("hidden_size");
  const dFfn = f.requiredPositiveInt("intermediate_size");
  const nHeads = f.positiveInt("num_attention_heads", d.num_attention_heads);
  const nKvHeads = f.positiveInt("num_key_value_heads", d.num_key_value_heads);
  const headDim = f.positiveInt("head_dim", d.head_dim);
  if (headDim % 2 !== 0) throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${path}head_dim must be even for RoPE, got ${headDim}`);
  if (nHeads % nKvHeads !== 0) {
    throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${nHeads} attention heads cannot be grouped over ${nKvHeads} key-value heads`);
  }

  const layerKinds = slidingLayers(f, type, facts, nLayers);
  const window = d.sliding_window === undefined ? 0 : (f.optionalPositiveInt("sliding_window", d.sliding_window) ?? 0);
  const rope = readRope(f, type, facts);
  const layers: LayerConfig[] = layerKinds.map((sliding) =>
    sliding && window > 0 ? { window, ...rope.sliding } : { window: 0, ...rope.full },
  );

  // transformers scales scores by query_pre_attn_scalar**-0.5 (Gemma 2/3) or head_dim**-0.5 (Gemma 1), a Python
  // float that multiplies float32 tensors as a float32.
  const scalar = d.query_pre_attn_scalar === undefined ? headDim : f.positive("query_pre_attn_scalar", d.query_pre_attn_scalar);
  const softcap = (key: "attn_logit_softcapping" | "final_logit_softcapping"): number =>
    d[key] === undefined ? 0 : (f.optionalPositive(key, d[key]) ?? 0);

  return {
    architecture,
    name: typeof r.headOwner["_name_or_path"] === "string" && r.headOwner["_name_or_path"] !== "" ? r.headOwner["_name_or_path"] : r.modelType,
    nLayers,
    dModel,
    nHeads,
    nKvHeads,
    headDim,
    dFfn,
    vocabSize,
    contextLength: f.positiveInt("max_position_embeddings", d.max_position_embeddings),
    normEps: Math.fround(f.positive("rms_norm_eps", d.rms_norm_eps)),
    embedScale: Math.fround(Math.sqrt(dModel)),
    queryScale: Math.fround(scalar ** -0.5),
    attnSoftcap: softcap("attn_logit_softcapping"),
    finalSoftcap: r.finalSoftcapApplies ? softcap("final_logit_softcapping") : 0,
    postNorms: facts.postNorms,
    qkNorm: facts.qkNorm,
    bidirectional: facts.bidirectional,
    pooling,
    layers,
  };
}

const TANH_GELU = new Set(["gelu_pytorch_tanh", "gelu_new"]);

function checkActivation(f: ConfigFields, type: HfTextModelType): void {
  for (const key of type.activationKeys) {
    const v = f.optionalString(key);
    if (v === undefined || TANH_GELU.has(v) || (type.geluMeansTanh && v === "gelu")) continue;
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `config.json: ${f.path}${key} is "${v}"; only the tanh-approximated GELU (gelu_pytorch_tanh) of Gemma is supported`,
    );
  }
}

/**
 * Per layer: sliding-window (true) or full attention. `layer_types` when given; else the legacy
 * `sliding_window_pattern` (Gemma 3) or the class's fixed pattern, as the configs' __post_init__ build it.
 */
function slidingLayers(f: ConfigFields, type: HfTextModelType, facts: ArchitectureFacts, nLayers: number): boolean[] {
  if (!facts.slidingWindow) return new Array<boolean>(nLayers).fill(false);
  const listed = f.optionalArray("layer_types");
  if (listed !== undefined) {
    if (listed.length !== nLayers) {
      throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${f.path}layer_types has ${listed.length} entries for ${nLayers} layers`);
    }
    return listed.map((t, i) => {
      if (t === "sliding_attention") return true;
      if (t === "full_attention") return false;
      throw new GemmaError(
        "MODEL_UNSUPPORTED_ARCH",
        `config.json: ${f.path}layer_types[${i}] is ${describeJson(t)}; expected "sliding_attention" or "full_attention"`,
      );
    });
  }
  const period = type.readsPatternKey ? f.positiveInt("sliding_window_pattern", facts.defaultPatternPeriod) : facts.defaultPatternPeriod;
  return Array.from({ length: nLayers }, (_, i) => (i + 1) % period !== 0);
}

type Rope = Pick<LayerConfig, "ropeBase" | "ropeFreqScale">;

/**
 * RoPE of full-attention and sliding layers, as transformers' convert_rope_params_to_dict and
 * standardize_rope_params assemble them (huggingface/transformers:src/transformers/modeling_rope_utils.py,
 * models/gemma3/configuration_gemma3.py): the newer `rope_parameters`, else legacy `rope_theta` /
 * `rope_scaling` (and Gemma 3's `rope_local_base_freq`).
 */
function readRope(f: ConfigFields, type: HfTextModelType, facts: ArchitectureFacts): { full: Rope; sliding: Rope } {
  const theta = f.positive("rope_theta", type.defaults.rope_theta);
  const scaling = f.optionalObject("rope_scaling");
  const params = f.optionalObject("rope_parameters");
  if (!type.ropePerLayerType) {
    // One set for every layer; a legacy rope_scaling replaces rope_parameters (convert_rope_params_to_dict).
    const single = scaling ?? params;
    const key = scaling ? "rope_scaling" : "rope_parameters";
    if (single && ("full_attention" in single || "sliding_attention" in single)) {
      throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${f.path}${key} is nested by layer type, which this model type does not use`);
    }
    const rope = ropeOf(f, `${key}.`, single ?? {}, theta);
    return { full: rope, sliding: rope };
  }
  const nested = (layerType: string): JsonObject => {
    const v = params?.[layerType];
    if (v === undefined || v === null) return {};
    if (!isJsonObject(v)) throw badType(f, `rope_parameters.${layerType}`, v, "an object");
    return v;
  };
  if (params && !("full_attention" in params) && !("sliding_attention" in params) && Object.keys(params).length > 0) {
    throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${f.path}rope_parameters must be nested by layer type (full_attention, sliding_attention)`);
  }
  // Legacy rope_scaling extends the full-attention parameters only (Gemma3TextConfig.convert_rope_params_to_dict).
  const full = { ...nested("full_attention"), ...(scaling ?? {}) };
  const localTheta = f.positive("rope_local_base_freq", facts.defaultLocalRopeBase ?? theta);
  return {
    full: ropeOf(f, "rope_parameters.full_attention.", full, theta),
    sliding: ropeOf(f, "rope_parameters.sliding_attention.", nested("sliding_attention"), localTheta),
  };
}

function ropeOf(f: ConfigFields, where: string, p: JsonObject, defaultTheta: number): Rope {
  const g = new ConfigFields(p, `${f.path}${where}`);
  const ropeType = g.optionalString("rope_type") ?? g.optionalString("type") ?? "default";
  const ropeBase = g.positive("rope_theta", defaultTheta);
  const partial = g.positive("partial_rotary_factor", 1);
  if (partial !== 1) throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `config.json: ${g.path}partial_rotary_factor ${partial} is not supported (Gemma rotates whole heads)`);
  if (ropeType === "default") return { ropeBase, ropeFreqScale: 1 };
  if (ropeType === "linear") return { ropeBase, ropeFreqScale: 1 / g.requiredPositive("factor") };
  throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `config.json: ${g.path}rope_type "${ropeType}" is not supported (Gemma uses default or linear)`);
}
