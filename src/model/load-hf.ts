import type { HfFolder, HfTensorInfo } from "../formats/hf/folder.js";
import { isJsonObject } from "../formats/hf/json.js";
import { computeTypeOf } from "../formats/safetensors/dtypes.js";
import { dequantizeRow } from "../quant/dequantize.js";
import { assertSupported, rowBytes, typeName } from "../quant/types.js";
import { tokenizerFromHfJson, tokenizerFromSentencePiece, type Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import type { ModelConfig } from "./config.js";
import { configFromHf, hfEmbeddingLayout } from "./hf-config.js";
import { HF_NAMES, hfLayerName, type HfLayerRole } from "./hf-names.js";
import { denseTensorName, denseWeight, embeddingSettings, poolingFromSentenceTransformers } from "./hf-sentence-modules.js";
import { bindBackend, defaultBackend } from "./backend.js";
import type { LoadOptions, Model, ModelInfo } from "./model.js";
import { placeWeights } from "./weight-placement.js";
import { assembleWeights, type Matrix, type Vector } from "./weights.js";

/** Tensor bytes are copied into the arena in pieces of this size, so no whole-tensor buffer is ever allocated. */
const READ_CHUNK_BYTES = 4 << 20;

/** What a Hugging Face folder holds, worked out from config.json and the safetensors headers (no weight read). */
export interface HfModelPlan {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly tensors: readonly PlannedTensor[];
  readonly info: ModelInfo;
}

interface PlannedTensor {
  readonly info: HfTensorInfo;
  readonly type: number;
  readonly kind: "matrix" | "vector";
  /** Rows loaded: the embedding (and an untied head) keep only the rows of real tokens. */
  readonly rows: number;
  readonly cols: number;
  /** Bytes read from the file: the first `rows` rows. */
  readonly bytes: number;
}

export interface HfTokenizerFiles {
  readonly tokenizer: Tokenizer;
  readonly chatTemplate: string | undefined;
  /** The tokenizer appends EOS to an encoded text (see addsEos). */
  readonly addEos: boolean;
}

/** The folder's tokenizer (tokenizer.json preferred over tokenizer.model), chat template and EOS rule. */
export async function readHfTokenizer(folder: HfFolder): Promise<HfTokenizerFiles> {
  const config = await folder.tokenizerConfig?.();
  const chatTemplate = chatTemplateOf(config);
  if (folder.tokenizerJson) {
    const json = await folder.tokenizerJson();
    return { tokenizer: tokenizerFromHfJson(json, config), chatTemplate, addEos: addsEos(config, json) };
  }
  if (folder.tokenizerModel) {
    return { tokenizer: tokenizerFromSentencePiece(await folder.tokenizerModel(), config), chatTemplate, addEos: addsEos(config, undefined) };
  }
  throw new GemmaError("FILE_NOT_FOUND", `${sourceName(folder)}: the folder has neither tokenizer.json nor tokenizer.model`);
}

/**
 * Plans the load of a Hugging Face folder: the configuration with transformers' defaults, every tensor the forward
 * pass reads checked against it, and the vocabulary.
 *
 * Vocabulary: the model uses min(tokenizer size, embedding rows) tokens. Embedding rows past the tokenizer (Gemma 3
 * multimodal pads 262145 tokens to 262208 rows) are never read, so no logit exists for a token that cannot be
 * decoded (llama.cpp's converter trims the same way). Tokenizer ids past the embedding (Gemma 3 1B: 262144 rows,
 * while the shared tokenizer adds <image_soft_token> = 262144) must be control tokens; the model cannot take them.
 */
export function planHfModel(folder: HfFolder, tokenizer: Tokenizer, chatTemplate?: string, addEos = false): HfModelPlan {
  const layout = hfEmbeddingLayout(folder.config);
  const embd = need(folder, HF_NAMES.tokenEmbedding);
  const dModel = embd.shape[1] ?? 0;
  checkShape(embd, [layout.vocabRows, dModel], "config.json vocab_size");
  for (let id = layout.vocabRows; id < tokenizer.vocabSize; id++) {
    if (!tokenizer.isControl(id)) {
      throw new GemmaError(
        "MODEL_BAD_TENSOR_SHAPE",
        `${embd.source.name}: the tokenizer has ${tokenizer.vocabSize} tokens but ${embd.storedName} has only ${layout.vocabRows} rows, and token ${id} ("${tokenizer.piece(id)}") is not a control token`,
      );
    }
  }
  const modules = folder.sentenceTransformers;
  const pooling = modules?.pooling ? poolingFromSentenceTransformers(modules.pooling) : "none";
  const config = configFromHf(folder.config, Math.min(tokenizer.vocabSize, layout.vocabRows), pooling);
  const tensors = planTensors(folder, config, layout.tiedEmbeddings);
  // sentence-transformers' Dense modules after the pooling, each taking the previous one's output.
  let width = config.dModel;
  for (const m of modules?.dense ?? []) {
    const info = denseWeight(m, width);
    const type = computeTypeOf(info);
    assertSupported(type, info.name);
    const rows = info.shape[0]!;
    tensors.push({ info, type, kind: "matrix", rows, cols: width, bytes: rows * rowBytes(type, width) });
    width = rows;
  }
  const bytesByType: Record<string, number> = {};
  let parameterCount = 0;
  let weightBytes = 0;
  for (const t of tensors) {
    bytesByType[typeName(t.type)] = (bytesByType[typeName(t.type)] ?? 0) + t.bytes;
    parameterCount += t.rows * t.cols;
    weightBytes += t.bytes;
  }
  return {
    config,
    tokenizer,
    tensors,
    info: {
      format: "safetensors",
      source: sourceName(folder),
      parameterCount,
      weightBytes,
      bytesByType,
      chatTemplate,
      instructionTuned: chatTemplate !== undefined || /(^|[-_ /])it($|[-_ ])/i.test(config.name),
      addEos,
      ...(modules && { embedding: embeddingSettings(modules, config.contextLength) }),
    },
  };
}

/**
 * Loads a Hugging Face folder into the same Model as loadGgufModel: F32/F16/BF16 matrices copied into the arena in
 * their stored encoding, norm weights as f32 with Gemma's 1 + w applied once here (HF stores w). `tokenizer`
 * replaces the folder's tokenizer files (for folders without any). The folder stays open; the caller closes it.
 */
export async function loadHfModel(folder: HfFolder, opts: LoadOptions & { readonly tokenizer?: Tokenizer } = {}): Promise<Model> {
  const { onProgress, tokenizer } = opts;
  const backend = defaultBackend(opts.backend);
  const files = tokenizer ? await suppliedTokenizerFiles(folder, tokenizer) : await readHfTokenizer(folder);
  const { config, tensors, info } = planHfModel(folder, files.tokenizer, files.chatTemplate, files.addEos);
  const totalBytes = info.weightBytes;
  const placement = placeWeights(
    tensors.map((t) => ({ name: t.info.name, kind: t.kind, bytes: t.kind === "matrix" ? t.bytes : t.cols * 4 })),
    backend,
    opts.arenaLimits,
  );
  const arena = placement.main;
  let loadedBytes = 0;
  const matrices = new Map<string, Matrix>();
  const vectors = new Map<string, Vector>();
  for (const t of tensors) {
    const name = t.info.name;
    if (t.kind === "matrix") {
      const shard = placement.shardOf.get(name);
      const home = shard === undefined ? arena : placement.shards[shard]!;
      const ptr = home.alloc(t.bytes);
      for (let done = 0; done < t.bytes; ) {
        const n = Math.min(READ_CHUNK_BYTES, t.bytes - done);
        home.heapU8.set(await t.info.source.read(t.info.offset + done, n), ptr + done);
        done += n;
        loadedBytes += n;
        onProgress?.({ loadedBytes, totalBytes });
      }
      matrices.set(name, { name, type: t.type, rows: t.rows, cols: t.cols, ptr, rowBytes: rowBytes(t.type, t.cols), shard });
    } else {
      const bytes = await folder.readTensor(t.info);
      const ptr = arena.alloc(t.cols * 4);
      const heap = arena.heapF32;
      dequantizeRow(t.type, bytes, 0, heap, ptr >>> 2, t.cols);
      // Gemma's RMSNorm scales by (1 + w) computed in float32 (transformers: Gemma*RMSNorm); an f64 sum of two
      // f32 values rounded to f32 is the f32 sum.
      for (let i = ptr >>> 2, end = i + t.cols; i < end; i++) heap[i] = heap[i]! + 1;
      vectors.set(name, { name, ptr, n: t.cols });
      loadedBytes += t.bytes;
      onProgress?.({ loadedBytes, totalBytes });
    }
  }

  const weights = assembleWeights(
    config,
    {
      ...HF_NAMES,
      dense: (folder.sentenceTransformers?.dense ?? []).map(denseTensorName),
      layer: (i, role) => hfLayerName(i, role, config.postNorms),
    },
    matrices,
    vectors,
  );
  return { config, weights, tokenizer: files.tokenizer, arena, ...(await bindBackend(arena, placement.shards, backend)), info };
}

/** Every tensor the forward pass reads, checked against the configuration; any other text tensor is an error. */
function planTensors(folder: HfFolder, c: ModelConfig, tied: boolean): PlannedTensor[] {
  const plan: PlannedTensor[] = [];
  const matrix = (name: string, rows: number, cols: number, storedRows = rows) => {
    const info = need(folder, name);
    checkShape(info, [storedRows, cols], "config.json");
    const type = computeTypeOf(info);
    assertSupported(type, info.storedName);
    plan.push({ info, type, kind: "matrix", rows, cols, bytes: rows * rowBytes(type, cols) });
  };
  const vector = (name: string, n: number) => {
    const info = need(folder, name);
    checkShape(info, [n], "config.json");
    plan.push({ info, type: computeTypeOf(info), kind: "vector", rows: 1, cols: n, bytes: info.byteSize });
  };
  const embeddingRows = need(folder, HF_NAMES.tokenEmbedding).shape[0]!;
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  matrix(HF_NAMES.tokenEmbedding, c.vocabSize, c.dModel, embeddingRows);
  vector(HF_NAMES.outputNorm, c.dModel);
  if (!tied) matrix(HF_NAMES.output, c.vocabSize, c.dModel, embeddingRows);
  for (let i = 0; i < c.nLayers; i++) {
    const n = (role: HfLayerRole) => hfLayerName(i, role, c.postNorms);
    vector(n("attnNorm"), c.dModel);
    matrix(n("wq"), qDim, c.dModel);
    matrix(n("wk"), kvDim, c.dModel);
    matrix(n("wv"), kvDim, c.dModel);
    matrix(n("wo"), c.dModel, qDim);
    if (c.qkNorm) {
      vector(n("qNorm"), c.headDim);
      vector(n("kNorm"), c.headDim);
    }
    if (c.postNorms) {
      vector(n("postAttnNorm"), c.dModel);
      vector(n("postFfnNorm"), c.dModel);
    }
    vector(n("ffnNorm"), c.dModel);
    matrix(n("wGate"), c.dFfn, c.dModel);
    matrix(n("wUp"), c.dFfn, c.dModel);
    matrix(n("wDown"), c.dModel, c.dFfn);
  }
  // A tensor the model would not read means config.json describes another model (a Gemma 2 folder labelled
  // "gemma" would otherwise run with its post-attention norms as pre-FFN norms). A tied lm_head.weight is a copy.
  const used = new Set(plan.map((t) => t.info.name));
  for (const t of folder.tensors) {
    if (used.has(t.name) || (tied && t.name === HF_NAMES.output)) continue;
    throw new GemmaError(
      "MODEL_BAD_CONFIG",
      `${t.source.name}: tensor "${t.storedName}" is not part of a ${c.architecture} model of ${c.nLayers} layers as config.json describes it`,
    );
  }
  return plan;
}

function need(folder: HfFolder, name: string): HfTensorInfo {
  const info = folder.tensor(name);
  if (!info) throw new GemmaError("MODEL_MISSING_TENSOR", `${sourceName(folder)}: tensor ${name} is missing`);
  return info;
}

function checkShape(info: HfTensorInfo, shape: readonly number[], from: string): void {
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new GemmaError(
      "MODEL_BAD_TENSOR_SHAPE",
      `${info.source.name}: tensor ${info.storedName} has shape [${info.shape.join(", ")}], expected [${shape.join(", ")}] from ${from}`,
    );
  }
}

/** The weights file (first shard) names the model in messages and in ModelInfo.source. */
function sourceName(folder: HfFolder): string {
  return folder.tensors[0]?.source.name ?? folder.skipped[0]?.source.name ?? "Hugging Face folder";
}

/** A tokenizer given by the caller, with the folder's tokenizer_config.json (if any) for the template and EOS rule. */
async function suppliedTokenizerFiles(folder: HfFolder, tokenizer: Tokenizer): Promise<HfTokenizerFiles> {
  const config = await folder.tokenizerConfig?.();
  return { tokenizer, chatTemplate: chatTemplateOf(config), addEos: addsEos(config, undefined) };
}

/**
 * Whether encoding a text appends EOS: tokenizer_config.json's add_eos_token when set (transformers rebuilds the
 * post-processor from it), else tokenizer.json's TemplateProcessing ending its single-sequence template with a special
 * token. EmbeddingGemma sets both, and sentence-transformers embeds BOS + text + EOS.
 */
function addsEos(config: unknown, tokenizerJson: unknown): boolean {
  const flag = isJsonObject(config) ? config["add_eos_token"] : undefined;
  if (typeof flag === "boolean") return flag;
  if (!isJsonObject(tokenizerJson)) return false;
  const post = tokenizerJson["post_processor"];
  if (!isJsonObject(post) || post["type"] !== "TemplateProcessing") return false;
  const single = post["single"];
  const last: unknown = Array.isArray(single) && single.length > 1 ? single[single.length - 1] : undefined;
  return isJsonObject(last) && "SpecialToken" in last;
}

/** tokenizer_config.json's chat_template: a string, or a list of named templates of which "default" is used. */
export function chatTemplateOf(config: unknown): string | undefined {
  if (!isJsonObject(config)) return undefined;
  const t = config["chat_template"];
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const entry = t.find((e) => isJsonObject(e) && e["name"] === "default");
    if (isJsonObject(entry) && typeof entry["template"] === "string") return entry["template"];
  }
  return undefined;
}
