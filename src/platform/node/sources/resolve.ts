import { GemmaError } from "../../../util/errors.js";
import { resolveCatalogModel } from "./catalog-pull.js";
import { sourceContext, type ResolveOptions } from "./context.js";
import { parseHfName } from "./hf-name.js";
import { resolveHfModel } from "./hf-source.js";
import { resolveLocalPath } from "./local.js";
import { resolveOllamaModel } from "./ollama.js";
import type { ResolvedModel } from "./resolved-model.js";
import { isModelUrl, resolveUrlModel } from "./url-source.js";

export type { ResolveOptions } from "./context.js";
export { gemmaHome } from "./home.js";
export type { Progress, ProgressListener } from "./progress.js";
export type { ResolvedModel } from "./resolved-model.js";

/** The catalog model used when a command gets no `-m`. */
export const DEFAULT_MODEL = "gemma3-270m";

const HF_PREFIX = "hf:";
const OLLAMA_PREFIX = "ollama:";

/** A name that can only be a path (a bare word like `gemma3-270m` is looked up in the catalog first). */
function looksLikePath(name: string): boolean {
  return /[/\\]/.test(name) || name.startsWith(".") || name.startsWith("~") || /\.gguf$/i.test(name);
}

/**
 * The name a model is cached under (`gemma list`, `gemma rm`): hub names normalized (quant tags
 * upper-cased), catalog names as they are.
 */
export function cacheName(name: string): string {
  if (name.startsWith(HF_PREFIX)) return parseHfName(name).key;
  return isModelUrl(name) && URL.canParse(name) ? new URL(name).href : name;
}

/**
 * Finds the files of a model named by `-m`: a local GGUF file, split GGUF or Hugging Face folder;
 * a catalog name (`gemma3-270m`); `hf:owner/repo[:QUANT|:file]`; `ollama:NAME[:TAG]`; or the http(s) URL
 * of a GGUF file. Catalog, hub and URL models are downloaded into the cache on first use unless `allowDownload` is false.
 */
export async function resolveModel(nameOrPath: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const name = nameOrPath.trim();
  if (name === "") throw new GemmaError("SOURCE_BAD_NAME", "empty model name");
  const ctx = sourceContext(opts);
  if (name.startsWith(HF_PREFIX)) return resolveHfModel(name, ctx);
  if (name.startsWith(OLLAMA_PREFIX)) return resolveOllamaModel(name.slice(OLLAMA_PREFIX.length), ctx);
  if (isModelUrl(name)) return resolveUrlModel(name, ctx);
  const entry = looksLikePath(name) ? undefined : ctx.catalog.find((e) => e.name === name);
  if (entry) return resolveCatalogModel(entry, ctx);
  const hint = looksLikePath(name)
    ? ""
    : ` and no catalog model has that name (catalog: ${ctx.catalog.map((e) => e.name).join(", ")}; ` +
      `other models: hf:owner/repo[:QUANT], ollama:NAME[:TAG] or an http(s) URL of a .gguf)`;
  return resolveLocalPath(name, hint);
}
