import type { DenseModule, NamedJson, SentenceTransformerModules } from "../formats/hf/sentence-transformers.js";
import type { HfTensorInfo } from "../formats/hf/folder.js";
import { describeJson } from "../formats/hf/json.js";
import { GemmaError } from "../util/errors.js";
import type { Pooling } from "./config.js";
import type { EmbeddingSettings } from "./model.js";

/**
 * sentence-transformers' Pooling config (UKPLab/sentence-transformers:sentence_transformers/models/Pooling.py) as
 * our pooling: one of the modes llama.cpp also has (mean over all tokens, the first token, the last token), over
 * every token of the input.
 */
const POOLING_MODES: readonly (readonly [key: string, pooling: Pooling | undefined])[] = [
  ["pooling_mode_mean_tokens", "mean"],
  ["pooling_mode_cls_token", "cls"],
  ["pooling_mode_lasttoken", "last"],
  ["pooling_mode_max_tokens", undefined],
  ["pooling_mode_mean_sqrt_len_tokens", undefined],
  ["pooling_mode_weightedmean_tokens", undefined],
];

export function poolingFromSentenceTransformers(file: NamedJson): Pooling {
  const on = POOLING_MODES.filter(([key]) => {
    const v = file.value[key];
    if (v === undefined || v === false) return false;
    if (v === true) return true;
    throw new GemmaError("HF_BAD_CONFIG", `${file.name}: "${key}" is ${describeJson(v)}, not a boolean`);
  });
  const unknown = Object.keys(file.value).filter((k) => k.startsWith("pooling_mode") && !POOLING_MODES.some(([key]) => key === k));
  if (unknown.length > 0 || on.length !== 1 || on[0]![1] === undefined) {
    const named = [...on.map(([k]) => k), ...unknown];
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `${file.name}: pooling ${named.length > 0 ? named.join(" + ") : "(no mode set)"} is not supported; ` +
        "exactly one of pooling_mode_mean_tokens, pooling_mode_cls_token, pooling_mode_lasttoken must be true",
    );
  }
  // include_prompt false leaves the prompt's tokens out of the pool, which needs the prompt's length per input.
  if (file.value["include_prompt"] === false) {
    throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `${file.name}: include_prompt false (pooling without the prompt tokens) is not supported`);
  }
  return on[0]![1];
}

/**
 * sentence-transformers' Dense stores nn.Linear as `linear.weight` [out, in] and `linear.bias`
 * (UKPLab/sentence-transformers:sentence_transformers/models/Dense.py).
 */
const DENSE_WEIGHT = "linear.weight";
/** Dense's default activation is Tanh; EmbeddingGemma's modules name Identity. */
const IDENTITY = new Set(["torch.nn.modules.linear.Identity", "torch.nn.Identity"]);

/** The model's name for a Dense module's weight: its folder and the stored name. */
export function denseTensorName(m: DenseModule): string {
  return `${m.path}/${DENSE_WEIGHT}`;
}

/** The weight of one Dense module, checked: [out_features, in_features] taking `inFeatures`, no bias, no activation. */
export function denseWeight(m: DenseModule, inFeatures: number): HfTensorInfo {
  const c = m.config;
  const activation = c.value["activation_function"];
  if (typeof activation !== "string" || !IDENTITY.has(activation)) {
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `${c.name}: activation_function ${typeof activation === "string" ? `"${activation}"` : describeJson(activation)} is not supported ` +
        "(only torch.nn.modules.linear.Identity)",
    );
  }
  const bias = m.weights.tensor("linear.bias");
  if (c.value["bias"] === true || bias !== undefined) {
    throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `${c.name}: the Dense module has a bias (linear.bias); only bias-free projections are supported`);
  }
  const w = m.weights.tensor(DENSE_WEIGHT);
  if (w === undefined) throw new GemmaError("MODEL_MISSING_TENSOR", `${m.weights.source.name}: tensor ${DENSE_WEIGHT} is missing`);
  const other = m.weights.tensors.find((t) => t.name !== DENSE_WEIGHT);
  if (other !== undefined) throw new GemmaError("MODEL_BAD_CONFIG", `${m.weights.source.name}: tensor "${other.name}" is not part of a Dense module`);
  const out = c.value["out_features"];
  const inp = c.value["in_features"];
  if (w.shape.length !== 2 || w.shape[1] !== inFeatures || (typeof inp === "number" && inp !== inFeatures) || (typeof out === "number" && out !== w.shape[0])) {
    throw new GemmaError(
      "MODEL_BAD_TENSOR_SHAPE",
      `${m.weights.source.name}: ${DENSE_WEIGHT} has shape [${w.shape.join(", ")}] (config in_features ${describeJson(inp)}, out_features ` +
        `${describeJson(out)}); expected [out, ${inFeatures}] after the previous module`,
    );
  }
  return { ...w, name: denseTensorName(m), storedName: DENSE_WEIGHT };
}

/**
 * The Transformer module's sentence_bert_config.json and the Normalize module as our embedding settings. Without
 * max_seq_length sentence-transformers caps the tokenizer at config.json's max_position_embeddings (`contextLength`);
 * do_lower_case puts a Lowercase normalizer before the tokenizer's own
 * (UKPLab/sentence-transformers:sentence_transformers/base/modules/transformer.py).
 */
export function embeddingSettings(modules: SentenceTransformerModules, contextLength: number): EmbeddingSettings {
  const file = modules.transformerConfig;
  const max = file?.value["max_seq_length"] ?? null;
  const lower = file?.value["do_lower_case"] ?? false;
  if (max !== null && !(typeof max === "number" && Number.isInteger(max) && max >= 1)) {
    throw new GemmaError("HF_BAD_CONFIG", `${file!.name}: "max_seq_length" is ${describeJson(max)}, not a positive integer`);
  }
  if (typeof lower !== "boolean") throw new GemmaError("HF_BAD_CONFIG", `${file!.name}: "do_lower_case" is ${describeJson(lower)}, not a boolean`);
  return { maxTokens: max ?? contextLength, lowercase: lower, normalize: modules.normalize };
}
