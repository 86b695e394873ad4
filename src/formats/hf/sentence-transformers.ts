import { GemmaError } from "../../util/errors.js";
import { readSafetensors } from "../safetensors/file.js";
import type { FileOpener, SafetensorsFile } from "../safetensors/types.js";
import { describeJson, isJsonObject, parseJsonBytes, type JsonObject } from "./json.js";

/**
 * The module folders a sentence-transformers model lists in modules.json (EmbeddingGemma: Transformer at the root,
 * 1_Pooling, 2_Dense, 3_Dense, 4_Normalize), as files: the configs and weights still to be judged by the model
 * layer (UKPLab/sentence-transformers:sentence_transformers/models/{Pooling,Dense,Normalize}.py).
 */
export interface SentenceTransformerModules {
  /** 1_Pooling/config.json (or wherever modules.json puts the Pooling module). */
  readonly pooling: NamedJson | undefined;
  /** The Dense modules in order: each folder's config.json and model.safetensors. */
  readonly dense: readonly DenseModule[];
  /** A Normalize module is listed (L2 normalization last). */
  readonly normalize: boolean;
  /** The Transformer module's sentence_bert_config.json, when the folder has one (max_seq_length, do_lower_case). */
  readonly transformerConfig: NamedJson | undefined;
  close(): Promise<void>;
}

export interface NamedJson {
  /** The file's name for messages. */
  readonly name: string;
  readonly value: JsonObject;
}

export interface DenseModule {
  /** The module's folder as modules.json names it (for tensor names and messages). */
  readonly path: string;
  readonly config: NamedJson;
  readonly weights: SafetensorsFile;
}

const MODULE_TYPE_PREFIX = "sentence_transformers.models.";
const MODULE_CONFIG_LIMIT = 1024 * 1024;

/** Where sentence-transformers' Transformer module keeps its settings, in the module's folder. */
const TRANSFORMER_CONFIG = "sentence_bert_config.json";

/** Reads the module folders that modules.json (already parsed) names; `exists` says whether an optional file is there. */
export async function readSentenceTransformerModules(
  opener: FileOpener,
  modulesJson: { readonly name: string; readonly value: unknown },
  exists: (relPath: string) => Promise<boolean>,
): Promise<SentenceTransformerModules> {
  const list = modulesJson.value;
  if (!Array.isArray(list)) throw new GemmaError("HF_BAD_CONFIG", `${modulesJson.name}: expected a list of modules, got ${describeJson(list)}`);
  let pooling: NamedJson | undefined;
  let normalize = false;
  let transformerConfig: NamedJson | undefined;
  const dense: DenseModule[] = [];
  const close = async () => {
    for (const d of dense) await d.weights.source.close();
  };
  try {
    for (let i = 0; i < list.length; i++) {
      const m: unknown = list[i];
      const where = `${modulesJson.name}: module [${i}]`;
      if (!isJsonObject(m)) throw new GemmaError("HF_BAD_CONFIG", `${where} is not an object`);
      const type = m["type"];
      const path = m["path"] ?? "";
      if (typeof type !== "string" || typeof path !== "string") {
        throw new GemmaError("HF_BAD_CONFIG", `${where}: "type" and "path" must be strings`);
      }
      // modules.json paths are relative folder names; anything climbing out of the model folder is refused.
      if (path.startsWith("/") || path.split("/").includes("..")) throw new GemmaError("HF_BAD_CONFIG", `${where}: path "${path}" leaves the folder`);
      const kind = type.startsWith(MODULE_TYPE_PREFIX) ? type.slice(MODULE_TYPE_PREFIX.length) : type;
      if (kind === "Transformer") {
        const configPath = path === "" ? TRANSFORMER_CONFIG : `${path}/${TRANSFORMER_CONFIG}`;
        if (await exists(configPath)) transformerConfig = await readModuleJson(opener, configPath);
        continue;
      }
      if (kind === "Normalize") {
        normalize = true;
        continue;
      }
      const config = await readModuleJson(opener, `${path}/config.json`);
      if (kind === "Pooling") {
        if (pooling !== undefined) throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `${where}: a second Pooling module`);
        pooling = config;
      } else if (kind === "Dense") {
        const source = await opener(`${path}/model.safetensors`);
        try {
          dense.push({ path, config, weights: await readSafetensors(source) });
        } catch (e) {
          await source.close();
          throw e;
        }
      } else {
        throw new GemmaError(
          "MODEL_UNSUPPORTED_ARCH",
          `${where}: module type "${type}" is not supported (supported: Transformer, Pooling, Dense, Normalize)`,
        );
      }
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { pooling, dense, normalize, transformerConfig, close };
}

async function readModuleJson(opener: FileOpener, relPath: string): Promise<NamedJson> {
  const source = await opener(relPath);
  try {
    if (source.size > MODULE_CONFIG_LIMIT) {
      throw new GemmaError("HF_BAD_CONFIG", `${source.name}: ${source.size} bytes, over the ${MODULE_CONFIG_LIMIT}-byte limit for this file`);
    }
    const value = parseJsonBytes(await source.read(0, source.size), { fileName: source.name, what: relPath, code: "HF_BAD_CONFIG" }).value;
    if (!isJsonObject(value)) throw new GemmaError("HF_BAD_CONFIG", `${source.name}: ${describeJson(value)}, not a JSON object`);
    return { name: source.name, value };
  } finally {
    await source.close();
  }
}
