import { GgufMetadataMap } from "../../formats/gguf/metadata.js";
import { ggufArray, ggufValue } from "../../formats/gguf/value-builders.js";
import type { GgufEntry } from "../../formats/gguf/value-types.js";
import { GemmaError } from "../../util/errors.js";
import type { ModelConfig } from "../config.js";
import { ARCHITECTURES } from "../generations.js";
import { configFromGguf, POOLING_IDS } from "../gguf-config.js";
import { GGUF_NAMES } from "../gguf-names.js";

type Entry = readonly [string, GgufEntry];

/**
 * The `general.*` and `<arch>.*` metadata of a GGUF that llama.cpp reads as `c` (the keys and defaults of
 * ggml-org/llama.cpp:src/models/{gemma,gemma2,gemma3,gemma-embedding}.cpp load_arch_hparams, as
 * convert_hf_to_gguf.py writes them for Gemma), after checking that it can: see checkExpressible. An embedding
 * model's pooling is `<arch>.pooling_type` (llama_pooling_type id, as conversion/base.py _try_set_pooling_type).
 */
export function ggufHyperparameters(c: ModelConfig, fileType: number, quantized: boolean): Entry[] {
  const arch = c.architecture;
  const facts = ARCHITECTURES[arch]!;
  const k = (key: string) => `${arch}.${key}`;
  const entries: Entry[] = [
    ["general.architecture", ggufValue.string(arch)],
    ["general.name", ggufValue.string(c.name)],
    ["general.file_type", ggufValue.u32(fileType)],
    ...(quantized ? [["general.quantization_version", ggufValue.u32(2)] as Entry] : []),
    [k("context_length"), ggufValue.u32(c.contextLength)],
    [k("embedding_length"), ggufValue.u32(c.dModel)],
    [k("block_count"), ggufValue.u32(c.nLayers)],
    [k("feed_forward_length"), ggufValue.u32(c.dFfn)],
    [k("attention.head_count"), ggufValue.u32(c.nHeads)],
    [k("attention.head_count_kv"), ggufValue.u32(c.nKvHeads)],
    [k("attention.key_length"), ggufValue.u32(c.headDim)],
    [k("attention.value_length"), ggufValue.u32(c.headDim)],
    [k("attention.layer_norm_rms_epsilon"), ggufValue.f32(c.normEps)],
  ];
  const global = c.layers.find((l) => l.window === 0) ?? c.layers[0]!;
  entries.push([k("rope.freq_base"), ggufValue.f32(global.ropeBase)]);
  if (global.ropeFreqScale !== 1) {
    entries.push([k("rope.scaling.type"), ggufValue.string("linear")], [k("rope.scaling.factor"), ggufValue.f32(1 / global.ropeFreqScale)]);
  }
  if (c.attnSoftcap !== 0) entries.push([k("attn_logit_softcapping"), ggufValue.f32(c.attnSoftcap)]);
  if (c.finalSoftcap !== 0) entries.push([k("final_logit_softcapping"), ggufValue.f32(c.finalSoftcap)]);
  if (c.pooling !== "none") entries.push([k("pooling_type"), ggufValue.u32(POOLING_IDS.indexOf(c.pooling))]);
  if (facts.slidingWindow) {
    const local = c.layers.find((l) => l.window > 0);
    if (local) {
      entries.push([k("attention.sliding_window"), ggufValue.u32(local.window)], [k("rope.freq_base_swa"), ggufValue.f32(local.ropeBase)]);
    }
    // llama.cpp reads a per-layer pattern as an array (load_swa_pattern); written only when its default period
    // would say otherwise (a model without local layers included).
    const pattern = c.layers.map((l) => l.window > 0);
    const period = facts.defaultPatternPeriod;
    if (pattern.some((isLocal, i) => isLocal !== (period === 0 || i % period < period - 1))) {
      entries.push([k("attention.sliding_window_pattern"), ggufValue.array(ggufArray.bool(pattern))]);
    }
  }
  return entries;
}

/**
 * Refuses a model that llama.cpp would run differently from `c` once converted: the metadata is read back with
 * llama.cpp's rules (configFromGguf) and every field must come back as it went in, plus the cases where
 * llama.cpp's graph departs from what its metadata says (`source` names the folder in messages).
 */
export function checkExpressible(c: ModelConfig, entries: readonly Entry[], source: string): void {
  const refuse = (why: string): never => {
    throw new GemmaError("CONVERT_NOT_EXPRESSIBLE", `${source}: cannot convert to GGUF: ${why}`);
  };
  // gemma2's graph divides by both soft-caps unconditionally (ggml-org/llama.cpp:src/models/gemma2.cpp,
  // src/llama-graph.cpp): a model without them has no GGUF form.
  if (c.architecture === "gemma2" && (c.attnSoftcap === 0 || c.finalSoftcap === 0)) {
    refuse(`this gemma2 model has no ${c.attnSoftcap === 0 ? "attention-logit" : "final-logit"} soft-cap, but llama.cpp's gemma2 always applies both`);
  }
  if (c.architecture !== "gemma2" && c.attnSoftcap !== 0) {
    refuse(`attn_logit_softcapping ${c.attnSoftcap} is set, but llama.cpp applies an attention soft-cap only to gemma2`);
  }
  const back = configFromGguf(new GgufMetadataMap("converted metadata", new Map(entries), new Map()), c.vocabSize);
  const scalar = (q: number) => Math.round(q ** -2 * 1e4) / 1e4;
  if (back.queryScale !== c.queryScale) {
    const rule = ARCHITECTURES[c.architecture]!.hiddenPerHeadQueryScaleLayers;
    refuse(
      `the query scale is 1/sqrt(${scalar(c.queryScale)}) (query_pre_attn_scalar), but a GGUF does not store it: llama.cpp uses ` +
        `1/sqrt(hidden_size / num_attention_heads) for ${c.architecture} models of ${rule.join(" or ") || "no"} layers and ` +
        `1/sqrt(head_dim) otherwise, which gives 1/sqrt(${scalar(back.queryScale)}) for ${c.nLayers} layers`,
    );
  }
  for (const key of Object.keys(c) as (keyof ModelConfig)[]) {
    if (key === "layers" || key === "name") continue;
    if (!same(back[key], c[key])) refuse(`${key} would read back from the GGUF as ${String(back[key])} instead of ${String(c[key])}`);
  }
  c.layers.forEach((l, i) => {
    const b = back.layers[i]!;
    if (b.window !== l.window || !same(b.ropeBase, l.ropeBase) || !same(b.ropeFreqScale, l.ropeFreqScale)) {
      refuse(
        `layer ${i} (window ${l.window}, RoPE base ${l.ropeBase}, frequency scale ${l.ropeFreqScale}) would run in llama.cpp ` +
          `with window ${b.window}, RoPE base ${b.ropeBase}, frequency scale ${b.ropeFreqScale}`,
      );
    }
  });
}

/** Equal as llama.cpp holds them: numbers as f32 (its hyperparameters are f32 and u32). */
function same(a: unknown, b: unknown): boolean {
  return typeof a === "number" && typeof b === "number" ? Math.fround(a) === Math.fround(b) : a === b;
}

/** One sentence-transformers Dense projection: [out, in] = [rows, cols]. */
export interface DenseShape {
  readonly rows: number;
  readonly cols: number;
}

/**
 * The GGUF names and `<arch>.dense_{2,3}_feat_{in,out}` keys of an embedding model's Dense projections. llama.cpp
 * has exactly two slots, dense_2 then dense_3, and requires dense_2 to take and dense_3 to give the model width
 * (ggml-org/llama.cpp:src/models/gemma-embedding.cpp, conversion/gemma.py EmbeddingGemma); any other chain is
 * refused (`source` names the folder).
 */
export function ggufDense(c: ModelConfig, dense: readonly DenseShape[], source: string): { names: readonly string[]; entries: Entry[] } {
  if (dense.length === 0) return { names: [], entries: [] };
  const slots = GGUF_NAMES.dense;
  if (c.architecture !== "gemma-embedding" || dense.length !== slots.length || dense[0]!.cols !== c.dModel || dense.at(-1)!.rows !== c.dModel) {
    throw new GemmaError(
      "CONVERT_NOT_EXPRESSIBLE",
      `${source}: cannot convert to GGUF: Dense modules ${dense.map((d) => `${d.cols} -> ${d.rows}`).join(", ")} after pooling; llama.cpp's ` +
        `gemma-embedding has two, ${c.dModel} -> N -> ${c.dModel}`,
    );
  }
  const entries = dense.flatMap((d, i): Entry[] => {
    const key = `${c.architecture}.${slots[i]!.replace(/\.weight$/, "")}`;
    return [[`${key}_feat_in`, ggufValue.u32(d.cols)], [`${key}_feat_out`, ggufValue.u32(d.rows)]];
  });
  return { names: slots, entries };
}
