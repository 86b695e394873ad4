import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError, isGemmaError, type ErrorCode } from "../../util/errors.js";
import { readSafetensors, readTensorBytes } from "../safetensors/file.js";
import { openShardedSafetensors } from "../safetensors/sharded.js";
import type { FileOpener, SafetensorsCollection, SafetensorsTensorInfo } from "../safetensors/types.js";
import { describeJson, isJsonObject, parseJsonBytes, type JsonObject } from "./json.js";
import { readSentenceTransformerModules, type SentenceTransformerModules } from "./sentence-transformers.js";
import { textModelName } from "./text-model-names.js";

/** Says whether a file exists beside the others, by relative path. */
export type FileExists = (relPath: string) => Promise<boolean>;

/** A tensor as the text model names it; `storedName` is its name in the file. */
export interface HfTensorInfo extends SafetensorsTensorInfo {
  readonly storedName: string;
}

/** A Hugging Face model folder (config.json, safetensors weights, tokenizer files), seen as a text model. */
export interface HfFolder {
  /** config.json as parsed. */
  readonly config: JsonObject;
  /** The text model's config: `text_config` of a multimodal config, else the whole config. */
  readonly textConfig: JsonObject;
  /** Text-model tensors, renamed from multimodal layouts to the plain `model.` / `lm_head.` names. */
  readonly tensors: readonly HfTensorInfo[];
  /** Vision tower and projector tensors, not used by the text model. */
  readonly skipped: readonly SafetensorsTensorInfo[];
  tensor(name: string): HfTensorInfo | undefined;
  readTensor(info: SafetensorsTensorInfo): Promise<Uint8Array>;
  /** Present when the folder has the file. */
  readonly tokenizerJson?: () => Promise<unknown>;
  readonly tokenizerConfig?: () => Promise<unknown>;
  readonly tokenizerModel?: () => Promise<Uint8Array>;
  /** Present when the folder has modules.json (a sentence-transformers model such as EmbeddingGemma). */
  readonly sentenceTransformers?: SentenceTransformerModules;
  close(): Promise<void>;
}

// Whole-file reads are capped so a wrong or hostile file cannot make us allocate without bound.
// Gemma 3's files: config.json ~2 KB, tokenizer_config.json ~1.2 MB, tokenizer.json ~33 MB, tokenizer.model ~4.7 MB.
const CONFIG_LIMIT = 16 * 1024 * 1024;
const TOKENIZER_CONFIG_LIMIT = 64 * 1024 * 1024;
const TOKENIZER_JSON_LIMIT = 512 * 1024 * 1024;
const TOKENIZER_MODEL_LIMIT = 256 * 1024 * 1024;

export async function openHfFolder(opener: FileOpener, exists?: FileExists): Promise<HfFolder> {
  const has = exists ?? ((relPath: string) => probe(opener, relPath));
  const config = await readJsonFile(opener, "config.json", CONFIG_LIMIT, "HF_BAD_CONFIG");
  if (!isJsonObject(config.value)) {
    throw new GemmaError("HF_BAD_CONFIG", `${config.name}: the config is ${describeJson(config.value)}, not a JSON object`);
  }
  const textConfig = pickTextConfig(config.name, config.value);
  const [hasIndex, hasTokenizerJson, hasTokenizerConfig, hasTokenizerModel, hasModules] = await Promise.all(
    ["model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "tokenizer.model", "modules.json"].map(has),
  );
  const weights = await openWeights(opener, hasIndex === true);
  let modules: SentenceTransformerModules | undefined;
  try {
    if (hasModules) modules = await readSentenceTransformerModules(opener, await readJsonFile(opener, "modules.json", CONFIG_LIMIT, "HF_BAD_CONFIG"), has);
    const { tensors, skipped } = splitTextTensors(weights.tensors);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    return {
      config: config.value,
      textConfig,
      tensors,
      skipped,
      tensor: (name) => byName.get(name),
      readTensor: (info) => readTensorBytes(info),
      ...(hasTokenizerJson && {
        tokenizerJson: async () => (await readJsonFile(opener, "tokenizer.json", TOKENIZER_JSON_LIMIT, "TOKENIZER_BAD_JSON")).value,
      }),
      ...(hasTokenizerConfig && {
        tokenizerConfig: async () =>
          (await readJsonFile(opener, "tokenizer_config.json", TOKENIZER_CONFIG_LIMIT, "TOKENIZER_BAD_JSON")).value,
      }),
      ...(hasTokenizerModel && {
        tokenizerModel: () => readWholeFile(opener, "tokenizer.model", TOKENIZER_MODEL_LIMIT, "TOKENIZER_BAD_MODEL_PROTO"),
      }),
      ...(modules && { sentenceTransformers: modules }),
      close: async () => {
        await modules?.close();
        await weights.close();
      },
    };
  } catch (e) {
    await modules?.close();
    await weights.close();
    throw e;
  }
}

async function openWeights(opener: FileOpener, sharded: boolean): Promise<SafetensorsCollection> {
  if (sharded) {
    const index = await opener("model.safetensors.index.json");
    try {
      return await openShardedSafetensors(index, opener);
    } finally {
      await index.close();
    }
  }
  let source: ByteSource;
  try {
    source = await opener("model.safetensors");
  } catch (e) {
    if (isGemmaError(e) && e.code === "FILE_NOT_FOUND") {
      throw new GemmaError("FILE_NOT_FOUND", `${e.message} (the folder has neither model.safetensors nor model.safetensors.index.json)`, { cause: e });
    }
    throw e;
  }
  try {
    return await readSafetensors(source);
  } catch (e) {
    await source.close();
    throw e;
  }
}

function pickTextConfig(fileName: string, config: JsonObject): JsonObject {
  const text = config["text_config"];
  if (text === undefined) return config;
  if (!isJsonObject(text)) throw new GemmaError("HF_BAD_CONFIG", `${fileName}: "text_config" is ${describeJson(text)}, not an object`);
  return text;
}

function splitTextTensors(all: readonly SafetensorsTensorInfo[]): { tensors: HfTensorInfo[]; skipped: SafetensorsTensorInfo[] } {
  const tensors: HfTensorInfo[] = [];
  const skipped: SafetensorsTensorInfo[] = [];
  const seen = new Map<string, string>();
  for (const t of all) {
    const name = textModelName(t.name);
    if (name === undefined) {
      skipped.push(t);
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new GemmaError(
        "SAFETENSORS_BAD_TENSOR",
        `${t.source.name}: tensors "${earlier}" and "${t.name}" both stand for the text model's "${name}"`,
      );
    }
    seen.set(name, t.name);
    tensors.push({ ...t, name, storedName: t.name });
  }
  return { tensors, skipped };
}

async function readWholeFile(opener: FileOpener, relPath: string, limit: number, code: ErrorCode): Promise<Uint8Array> {
  return (await readCapped(opener, relPath, limit, code)).bytes;
}

async function readJsonFile(
  opener: FileOpener,
  relPath: string,
  limit: number,
  code: ErrorCode,
): Promise<{ readonly name: string; readonly value: unknown }> {
  const { name, bytes } = await readCapped(opener, relPath, limit, code);
  return { name, value: parseJsonBytes(bytes, { fileName: name, what: relPath, code }).value };
}

async function readCapped(
  opener: FileOpener,
  relPath: string,
  limit: number,
  code: ErrorCode,
): Promise<{ readonly name: string; readonly bytes: Uint8Array }> {
  const source = await opener(relPath);
  try {
    if (source.size > limit) throw new GemmaError(code, `${source.name}: ${source.size} bytes, over the ${limit}-byte limit for this file`);
    return { name: source.name, bytes: await source.read(0, source.size) };
  } finally {
    await source.close();
  }
}

async function probe(opener: FileOpener, relPath: string): Promise<boolean> {
  try {
    await (await opener(relPath)).close();
    return true;
  } catch (e) {
    if (isGemmaError(e) && e.code === "FILE_NOT_FOUND") return false;
    throw e;
  }
}
