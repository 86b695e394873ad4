import { GgufValueType, type GgufMetadata } from "../formats/gguf/index.js";
import { GemmaError } from "../util/errors.js";
import type { LayerConfig, ModelConfig, Pooling } from "./config.js";
import { ARCHITECTURES } from "./generations.js";

/**
 * ModelConfig from GGUF metadata, following llama.cpp's reading of the same keys so that both engines run the
 * same model from the same file (ggml-org/llama.cpp:src/llama-model.cpp and src/models/gemma*.cpp).
 */
export function configFromGguf(meta: GgufMetadata, vocabSize: number): ModelConfig {
  const arch = meta.string("general.architecture");
  const facts = ARCHITECTURES[arch];
  if (!facts) {
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `architecture "${arch}" is not supported (supported: ${Object.keys(ARCHITECTURES).join(", ")})`,
    );
  }
  const k = (key: string) => `${arch}.${key}`;
  const positive = (key: string): number => {
    const v = meta.number(k(key));
    if (!Number.isInteger(v) || v < 1) throw new GemmaError("MODEL_BAD_CONFIG", `${k(key)} must be a positive integer, got ${v}`);
    return v;
  };
  const nLayers = positive("block_count");
  const dModel = positive("embedding_length");
  const nHeads = positive("attention.head_count");
  const nKvHeads = meta.optionalNumber(k("attention.head_count_kv")) ?? nHeads;
  const headDim = meta.optionalNumber(k("attention.key_length")) ?? dModel / nHeads;
  const valueDim = meta.optionalNumber(k("attention.value_length")) ?? headDim;
  if (valueDim !== headDim) throw new GemmaError("MODEL_BAD_CONFIG", `key length ${headDim} != value length ${valueDim}`);
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) {
    throw new GemmaError("MODEL_BAD_CONFIG", `head dimension must be an even integer, got ${headDim}`);
  }
  if (nKvHeads < 1 || nHeads % nKvHeads !== 0) {
    throw new GemmaError("MODEL_BAD_CONFIG", `${nHeads} query heads cannot be grouped over ${nKvHeads} KV heads`);
  }

  const globalBase = meta.optionalNumber(k("rope.freq_base")) ?? 10000;
  const scalingType = meta.optionalString(k("rope.scaling.type")) ?? "none";
  let globalScale = 1;
  if (scalingType === "linear") {
    const factor = meta.optionalNumber(k("rope.scaling.factor")) ?? 1;
    if (!(factor > 0)) throw new GemmaError("MODEL_BAD_CONFIG", `${k("rope.scaling.factor")} must be > 0, got ${factor}`);
    globalScale = 1 / factor;
  } else if (scalingType !== "none") {
    throw new GemmaError("MODEL_BAD_CONFIG", `RoPE scaling "${scalingType}" is not supported (Gemma uses none or linear)`);
  }
  const localBase = meta.optionalNumber(k("rope.freq_base_swa")) ?? facts.defaultLocalRopeBase ?? globalBase;
  const localScale = facts.ropeScalingOnLocal ? globalScale : 1;

  const window = facts.slidingWindow ? (meta.optionalNumber(k("attention.sliding_window")) ?? facts.defaultWindow) : 0;
  const local = slidingLayers(meta, k("attention.sliding_window_pattern"), nLayers, facts.defaultPatternPeriod);
  const layers: LayerConfig[] = [];
  for (let i = 0; i < nLayers; i++) {
    const isLocal = window > 0 && local[i]!;
    layers.push(
      isLocal
        ? { window, ropeBase: localBase, ropeFreqScale: localScale }
        : { window: 0, ropeBase: globalBase, ropeFreqScale: globalScale },
    );
  }

  const queryScale = facts.hiddenPerHeadQueryScaleLayers.includes(nLayers)
    ? 1 / Math.sqrt(Math.floor(dModel / nHeads))
    : 1 / Math.sqrt(headDim);

  return {
    architecture: arch,
    name: meta.optionalString("general.name") ?? arch,
    nLayers,
    dModel,
    nHeads,
    nKvHeads,
    headDim,
    dFfn: positive("feed_forward_length"),
    vocabSize,
    contextLength: positive("context_length"),
    normEps: meta.number(k("attention.layer_norm_rms_epsilon")),
    embedScale: Math.fround(Math.sqrt(dModel)),
    queryScale: Math.fround(queryScale),
    attnSoftcap: meta.optionalNumber(k("attn_logit_softcapping")) ?? facts.defaultAttnSoftcap,
    finalSoftcap: meta.optionalNumber(k("final_logit_softcapping")) ?? facts.defaultFinalSoftcap,
    postNorms: facts.postNorms,
    qkNorm: facts.qkNorm,
    bidirectional: facts.bidirectional,
    pooling: poolingFromGguf(meta, k("pooling_type")),
    layers,
  };
}

/** llama_pooling_type ids (ggml-org/llama.cpp:include/llama.h); a missing key is none, as llama.cpp's hparams default. */
export const POOLING_IDS: readonly Pooling[] = ["none", "mean", "cls", "last"];

function poolingFromGguf(meta: GgufMetadata, key: string): Pooling {
  const id = meta.optionalNumber(key) ?? 0;
  const pooling = POOLING_IDS[id];
  if (pooling === undefined) {
    throw new GemmaError(
      "MODEL_BAD_CONFIG",
      `${key} is ${id}; supported: 0 (none), 1 (mean), 2 (cls), 3 (last) (4, rank, is for rerankers, which Gemma has none of)`,
    );
  }
  return pooling;
}

/**
 * Which layers use the sliding window: a per-layer bool array, or a period n (layer i global iff i % n == n-1;
 * n = 0: all local), as llama.cpp's load_swa_pattern / set_swa_pattern read it.
 */
function slidingLayers(meta: GgufMetadata, key: string, nLayers: number, defaultPeriod: number): boolean[] {
  const entry = meta.entry(key);
  if (entry !== undefined && entry.type === GgufValueType.ARRAY) {
    const flags = meta.optionalNumberArray(key)!;
    if (flags.length < nLayers) throw new GemmaError("MODEL_BAD_CONFIG", `${key} has ${flags.length} entries for ${nLayers} layers`);
    return flags.slice(0, nLayers).map((f) => f !== 0);
  }
  const period = meta.optionalNumber(key) ?? defaultPeriod;
  return Array.from({ length: nLayers }, (_, i) => period === 0 || i % period < period - 1);
}
