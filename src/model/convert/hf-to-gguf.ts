import type { GgufWriteTensor } from "../../formats/gguf/writer.js";
import type { GgufEntry } from "../../formats/gguf/value-types.js";
import type { HfFolder } from "../../formats/hf/folder.js";
import { isJsonObject } from "../../formats/hf/json.js";
import { dequantizeRow } from "../../quant/dequantize.js";
import { rowBytes } from "../../quant/types.js";
import { createTokenizer, vocabFromHfJson, vocabFromSentencePiece, type TokenizerVocab } from "../../tokenizer/index.js";
import { GemmaError } from "../../util/errors.js";
import type { ModelConfig } from "../config.js";
import { GGUF_NAMES, ggufLayerName } from "../gguf-names.js";
import { HF_NAMES, hfLayerName, type HfLayerRole } from "../hf-names.js";
import { chatTemplateOf, planHfModel, type HfModelPlan } from "../load-hf.js";
import { denseTensorName } from "../hf-sentence-modules.js";
import { checkExpressible, ggufDense, ggufHyperparameters } from "./gguf-hparams.js";
import { ggufVocabulary } from "./gguf-vocab.js";
import { quantizeRows, type RowQuantizer } from "./quantize-rows.js";
import { FILE_TYPE, tensorType, type ConvertType } from "./tensor-types.js";

/** Source rows are read and converted in pieces of about this size, so memory stays near one output tensor. */
const READ_CHUNK_BYTES = 4 << 20;

export interface ConvertProgress {
  /** GGUF name of the tensor just written. */
  readonly tensor: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
}

export interface HfToGgufOptions {
  readonly type: ConvertType;
  readonly onProgress?: (p: ConvertProgress) => void;
  /** Default: quantizeRows, on this thread. */
  readonly quantizeRows?: RowQuantizer;
}

/** A GGUF ready for writeGguf: tensor data is produced one tensor at a time, when the writer asks for it. */
export interface GgufConversion {
  readonly config: ModelConfig;
  readonly metadata: readonly (readonly [string, GgufEntry])[];
  readonly tensors: readonly GgufWriteTensor[];
  /** Bytes of tensor data the file will hold. */
  readonly dataBytes: number;
}

type PlannedTensor = HfModelPlan["tensors"][number];

/** The models whose tensors and keys this converter knows: the decoder-only text models and EmbeddingGemma. */
const CONVERTIBLE: ReadonlySet<string> = new Set(["gemma", "gemma2", "gemma3", "gemma-embedding"]);

/**
 * Plans the conversion of a Hugging Face Gemma folder to a GGUF that llama.cpp loads as the same model: the
 * architecture's hyperparameters (refused where llama.cpp would read them differently, see checkExpressible),
 * the full SentencePiece vocabulary, and the tensors under llama.cpp's names (EmbeddingGemma: its pooling and Dense
 * projections as llama.cpp's gemma-embedding reads them) with Gemma's norm weights stored as
 * 1 + w (computed in f32, as transformers scales by 1 + w.float(); convert_hf_to_gguf.py adds the 1 in the
 * source dtype), the embedding cut to the tokens the vocabulary has, and each tensor in the type `opts.type` picks.
 */
export async function planHfToGguf(folder: HfFolder, opts: HfToGgufOptions): Promise<GgufConversion> {
  const source = folder.tensors[0]?.source.name ?? "Hugging Face folder";
  const tokenizerConfig = await folder.tokenizerConfig?.();
  const vocab = await readVocab(folder, tokenizerConfig, source);
  const chatTemplate = chatTemplateOf(tokenizerConfig);
  const plan = planHfModel(folder, createTokenizer(vocab), chatTemplate);
  const c = plan.config;

  if (!CONVERTIBLE.has(c.architecture)) {
    throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `${source}: cannot convert to GGUF: architecture ${c.architecture} is not one the converter writes (${[...CONVERTIBLE].join(", ")})`);
  }
  const names = ggufNames(c);
  // sentence-transformers' Dense modules (planHfModel checked their shapes) as llama.cpp's dense_2 and dense_3
  const denseModules = folder.sentenceTransformers?.dense ?? [];
  const denseShapes = denseModules.map((m) => plan.tensors.find((t) => t.info.name === denseTensorName(m))!);
  const dense = ggufDense(c, denseShapes, source);
  denseModules.forEach((m, i) => names.set(denseTensorName(m), dense.names[i]!));
  const untied = plan.tensors.some((t) => t.info.name === HF_NAMES.output);
  if (untied && c.architecture !== "gemma3") {
    throw new GemmaError(
      "CONVERT_NOT_EXPRESSIBLE",
      `${source}: cannot convert to GGUF: the model has its own lm_head.weight (tie_word_embeddings false), but llama.cpp's ${c.architecture} always uses the token embedding as the output matrix`,
    );
  }
  const quantized = opts.type !== "f32" && opts.type !== "f16" && opts.type !== "bf16";
  const hparams = ggufHyperparameters(c, FILE_TYPE[opts.type], quantized);
  checkExpressible(c, hparams, source);
  const addEos = isJsonObject(tokenizerConfig) && tokenizerConfig["add_eos_token"] === true;
  const metadata = [...hparams, ...dense.entries, ...ggufVocabulary(vocab, { size: c.vocabSize, addEos, chatTemplate })];

  const planned = plan.tensors.map((t) => {
    const name = names.get(t.info.name)!;
    const layer = /^blk\.(\d+)\./.exec(name)?.[1];
    const nDims = t.kind === "matrix" ? 2 : 1;
    const type = tensorType(opts.type, { name, ne0: t.cols, nDims, layer: layer === undefined ? undefined : Number(layer) }, { nLayers: c.nLayers, tiedOutput: !untied });
    return { t, name, type, bytes: t.rows * rowBytes(type, t.cols) };
  });
  const dataBytes = planned.reduce((n, p) => n + p.bytes, 0);
  let doneBytes = 0;
  const tensors = planned.map(({ t, name, type, bytes }): GgufWriteTensor => ({
    name,
    dims: t.kind === "matrix" ? [t.cols, t.rows] : [t.cols],
    type,
    data: async () => {
      const data = await convertTensor(t, type, t.kind === "vector", opts.quantizeRows ?? quantizeRows);
      doneBytes += bytes;
      opts.onProgress?.({ tensor: name, doneBytes, totalBytes: dataBytes });
      return data;
    },
  }));
  return { config: c, metadata, tensors, dataBytes };
}

/** tokenizer.json preferred over tokenizer.model, as the loader does. */
async function readVocab(folder: HfFolder, config: unknown, source: string): Promise<TokenizerVocab> {
  if (folder.tokenizerJson) return vocabFromHfJson(await folder.tokenizerJson(), config);
  if (folder.tokenizerModel) return vocabFromSentencePiece(await folder.tokenizerModel(), config);
  throw new GemmaError("FILE_NOT_FOUND", `${source}: cannot convert to GGUF: the folder has neither tokenizer.json nor tokenizer.model`);
}

/** Hugging Face name -> GGUF name of every tensor the model reads. */
function ggufNames(c: ModelConfig): Map<string, string> {
  const names = new Map<string, string>([
    [HF_NAMES.tokenEmbedding, GGUF_NAMES.tokenEmbedding],
    [HF_NAMES.outputNorm, GGUF_NAMES.outputNorm],
    [HF_NAMES.output, GGUF_NAMES.output],
  ]);
  for (let i = 0; i < c.nLayers; i++) {
    for (const role of Object.keys(HF_NAMES.layer) as HfLayerRole[]) names.set(hfLayerName(i, role, c.postNorms), ggufLayerName(i, role));
  }
  return names;
}

/**
 * The stored rows of one tensor as `type`: the same encoding is copied as is; anything else goes through f32
 * (dequantizeRow is exact for F32/F16/BF16) a chunk of rows at a time, encoded by `quantize`. `addOne` stores
 * Gemma's norm scale 1 + w.
 */
async function convertTensor(t: PlannedTensor, type: number, addOne: boolean, quantize: RowQuantizer): Promise<Uint8Array> {
  const inRow = rowBytes(t.type, t.cols);
  const outRow = rowBytes(type, t.cols);
  const out = new Uint8Array(t.rows * outRow);
  const rowsPerChunk = Math.max(1, Math.floor(READ_CHUNK_BYTES / inRow));
  for (let r0 = 0; r0 < t.rows; r0 += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, t.rows - r0);
    const bytes = await t.info.source.read(t.info.offset + r0 * inRow, n * inRow);
    if (type === t.type && !addOne) {
      out.set(bytes, r0 * outRow);
      continue;
    }
    const rows = new Float32Array(n * t.cols);
    for (let r = 0; r < n; r++) dequantizeRow(t.type, bytes, r * inRow, rows, r * t.cols, t.cols);
    if (addOne) for (let i = 0; i < rows.length; i++) rows[i] = rows[i]! + 1;
    out.set(await quantize(type, rows, t.cols), r0 * outRow);
  }
  return out;
}
