import type { GgufFile, GgufTensorInfo } from "../formats/gguf/index.js";
import { dequantizeRow } from "../quant/dequantize.js";
import { assertSupported, GgmlType, rowBytes, typeName } from "../quant/types.js";
import { tokenizerFromGguf, type Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import type { ModelConfig } from "./config.js";
import { bindBackend, defaultBackend } from "./backend.js";
import { configFromGguf } from "./gguf-config.js";
import { GGUF_NAMES, ggufLayerName } from "./gguf-names.js";
import type { LoadOptions, Model, ModelInfo } from "./model.js";

export type { LoadProgress } from "./model.js";
import { placeWeights } from "./weight-placement.js";
import { assembleWeights, type Matrix, type Vector } from "./weights.js";


/** What a GGUF file holds, worked out from its header alone (no weight is read): for loading and `gemma info`. */
export interface GgufModelPlan {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly tensors: readonly PlannedTensor[];
  readonly info: ModelInfo;
}

export function planGgufModel(file: GgufFile): GgufModelPlan {
  const tokenizer = tokenizerFromGguf(file.metadata);
  const embd = need(file, GGUF_NAMES.tokenEmbedding);
  const vocabSize = embd.dims[1] ?? 0;
  const config = configFromGguf(file.metadata, vocabSize);
  if (tokenizer.vocabSize > vocabSize) {
    throw new GemmaError(
      "MODEL_BAD_TENSOR_SHAPE",
      `${file.name}: the tokenizer has ${tokenizer.vocabSize} tokens but ${embd.name} has only ${vocabSize} rows`,
    );
  }
  const tensors = planTensors(file, config);
  const bytesByType: Record<string, number> = {};
  let parameterCount = 0;
  let weightBytes = 0;
  for (const { info } of tensors) {
    bytesByType[typeName(info.type)] = (bytesByType[typeName(info.type)] ?? 0) + info.byteSize;
    parameterCount += info.nElements;
    weightBytes += info.byteSize;
  }
  const chatTemplate = file.metadata.optionalString("tokenizer.chat_template");
  const label = `${file.metadata.optionalString("general.name") ?? ""} ${file.metadata.optionalString("general.finetune") ?? ""}`;
  return {
    config,
    tokenizer,
    tensors,
    info: {
      format: "gguf",
      source: file.name,
      parameterCount,
      weightBytes,
      bytesByType,
      chatTemplate,
      instructionTuned: chatTemplate !== undefined || /(^|[-_ ])it($|[-_ ])/i.test(label),
      metadata: file.metadata,
    },
  };
}

/**
 * Loads a GGUF model: every weight copied into the arena in its stored encoding (norm weights as f32; GGUF
 * already stores Gemma's 1 + w).
 */
export async function loadGgufModel(file: GgufFile, opts: LoadOptions = {}): Promise<Model> {
  const { config, tokenizer, tensors, info } = planGgufModel(file);
  const totalBytes = info.weightBytes;
  const backend = defaultBackend(opts.backend);
  const placement = placeWeights(
    tensors.map(({ info: t, kind, cols }) => ({ name: t.name, kind, bytes: kind === "matrix" ? t.byteSize : cols * 4 })),
    backend,
    opts.arenaLimits,
  );
  const arena = placement.main;
  const onProgress = opts.onProgress;
  let loadedBytes = 0;
  const matrices = new Map<string, Matrix>();
  const vectors = new Map<string, Vector>();
  for (const { info: t, kind, rows, cols } of tensors) {
    const bytes = await file.readTensor(t);
    if (kind === "matrix") {
      const shard = placement.shardOf.get(t.name);
      const home = shard === undefined ? arena : placement.shards[shard]!;
      const ptr = home.alloc(bytes.length);
      home.heapU8.set(bytes, ptr);
      matrices.set(t.name, { name: t.name, type: t.type, rows, cols, ptr, rowBytes: rowBytes(t.type, cols), shard });
    } else {
      const ptr = arena.alloc(cols * 4);
      dequantizeRow(t.type, bytes, 0, arena.heapF32, ptr >>> 2, cols);
      vectors.set(t.name, { name: t.name, ptr, n: cols });
    }
    loadedBytes += t.byteSize;
    onProgress?.({ loadedBytes, totalBytes });
  }

  const weights = assembleWeights(
    config,
    { ...GGUF_NAMES, layer: (i, role) => ggufLayerName(i, role) },
    matrices,
    vectors,
  );
  return { config, weights, tokenizer, arena, ...(await bindBackend(arena, placement.shards, backend)), info };
}

interface PlannedTensor {
  readonly info: GgufTensorInfo;
  readonly kind: "matrix" | "vector";
  readonly rows: number;
  readonly cols: number;
}

/** Every tensor the forward pass reads, checked against the configuration before any byte is loaded. */
function planTensors(file: GgufFile, c: ModelConfig): PlannedTensor[] {
  const plan: PlannedTensor[] = [];
  const matrix = (name: string, cols: number, rows: number, optional = false) => {
    const info = optional ? file.tensor(name) : need(file, name);
    if (!info) return;
    checkShape(file, info, [cols, rows]);
    assertSupported(info.type, name);
    plan.push({ info, kind: "matrix", rows, cols });
  };
  const vector = (name: string, n: number, optional = false) => {
    const info = optional ? file.tensor(name) : need(file, name);
    if (!info) return;
    checkShape(file, info, [n]);
    if (info.type !== GgmlType.F32 && info.type !== GgmlType.F16 && info.type !== GgmlType.BF16) {
      throw new GemmaError("MODEL_BAD_TENSOR_SHAPE", `${file.name}: norm tensor ${name} has type ${typeName(info.type)}; expected F32, F16 or BF16`);
    }
    plan.push({ info, kind: "vector", rows: 1, cols: n });
  };
  const qDim = c.nHeads * c.headDim;
  const kvDim = c.nKvHeads * c.headDim;
  matrix(GGUF_NAMES.tokenEmbedding, c.dModel, c.vocabSize);
  vector(GGUF_NAMES.outputNorm, c.dModel);
  matrix(GGUF_NAMES.output, c.dModel, c.vocabSize, true);
  for (let i = 0; i < c.nLayers; i++) {
    vector(ggufLayerName(i, "attnNorm"), c.dModel);
    matrix(ggufLayerName(i, "wq"), c.dModel, qDim);
    matrix(ggufLayerName(i, "wk"), c.dModel, kvDim);
    matrix(ggufLayerName(i, "wv"), c.dModel, kvDim);
    matrix(ggufLayerName(i, "wo"), qDim, c.dModel);
    if (c.qkNorm) {
      vector(ggufLayerName(i, "qNorm"), c.headDim);
      vector(ggufLayerName(i, "kNorm"), c.headDim);
    }
    if (c.postNorms) {
      vector(ggufLayerName(i, "postAttnNorm"), c.dModel);
      vector(ggufLayerName(i, "postFfnNorm"), c.dModel);
    }
    vector(ggufLayerName(i, "ffnNorm"), c.dModel);
    matrix(ggufLayerName(i, "wGate"), c.dModel, c.dFfn);
    matrix(ggufLayerName(i, "wUp"), c.dModel, c.dFfn);
    matrix(ggufLayerName(i, "wDown"), c.dFfn, c.dModel);
  }
  // Dense projections of the pooled vector, where the file has them: each reads what the one before wrote.
  let width = c.dModel;
  for (const name of GGUF_NAMES.dense) {
    const info = file.tensor(name);
    if (!info) continue;
    const rows = info.dims[1] ?? 0;
    matrix(name, width, rows);
    width = rows;
  }
  return plan;
}

function need(file: GgufFile, name: string): GgufTensorInfo {
  const info = file.tensor(name);
  if (!info) throw new GemmaError("MODEL_MISSING_TENSOR", `${file.name}: tensor ${name} is missing`);
  return info;
}

function checkShape(file: GgufFile, info: GgufTensorInfo, dims: readonly number[]): void {
  if (info.dims.length !== dims.length || info.dims.some((d, i) => d !== dims[i])) {
    throw new GemmaError(
      "MODEL_BAD_TENSOR_SHAPE",
      `${file.name}: tensor ${info.name} has shape [${info.dims.join(", ")}], expected [${dims.join(", ")}] from the metadata`,
    );
  }
}
