import type { GgufFile } from "../../formats/gguf/index.js";
import { loadGgufModel, type LoadProgress } from "../../model/load-gguf.js";
import type { Model } from "../../model/model.js";
import { GemmaError } from "../../util/errors.js";
import { openGgufPath } from "./gguf-files.js";
import type { ProgressListener } from "./sources/progress.js";
import { DEFAULT_MODEL, resolveModel } from "./sources/resolve.js";

export interface OpenModelOptions {
  readonly onProgress?: ProgressListener | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Resolves a model name or path (fetching it if needed) and opens its GGUF header; weights are not read yet. */
export async function openModelFile(nameOrPath: string | undefined, opts: OpenModelOptions = {}): Promise<GgufFile> {
  const resolved = await resolveModel(nameOrPath ?? DEFAULT_MODEL, { onProgress: opts.onProgress, signal: opts.signal });
  if (resolved.kind !== "gguf") {
    throw new GemmaError(
      "MODEL_UNSUPPORTED_ARCH",
      `${resolved.dir}: Hugging Face safetensors folders cannot be run yet; convert it to GGUF with llama.cpp's convert_hf_to_gguf.py`,
    );
  }
  return openGgufPath(resolved.path);
}

/** Opens and loads a model; the file is closed once its weights are in memory. */
export async function loadModel(
  nameOrPath: string | undefined,
  opts: OpenModelOptions & { onLoad?: (p: LoadProgress) => void } = {},
): Promise<Model> {
  const file = await openModelFile(nameOrPath, opts);
  try {
    return await loadGgufModel(file, opts.onLoad);
  } finally {
    await file.close();
  }
}
