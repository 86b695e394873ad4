import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The gemma-ts cache: `$GEMMA_HOME`, else `$XDG_CACHE_HOME/gemma-ts`, else `~/.cache/gemma-ts`.
 * Layout under it:
 *   models/catalog/<name>/<file>   assembled catalog models
 *   models/hf/<owner>/<repo>/...   files downloaded from the Hugging Face hub
 *   manifests/<name>.json          one record per pulled model (what `gemma list` shows)
 *   downloads/                     wheels and other intermediates, deleted after assembly
 */
export function gemmaHome(): string {
  const explicit = process.env.GEMMA_HOME;
  if (explicit) return explicit;
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "gemma-ts");
}

export function modelsDir(home: string): string {
  return join(home, "models");
}

export function manifestsDir(home: string): string {
  return join(home, "manifests");
}

export function downloadsDir(home: string): string {
  return join(home, "downloads");
}
