import type { GgufFile } from "../../formats/gguf/index.js";
import type { ModelConfig } from "../../model/config.js";
import { loadGgufModel, planGgufModel } from "../../model/load-gguf.js";
import { loadHfModel, planHfModel, readHfTokenizer } from "../../model/load-hf.js";
import type { Backend, LoadOptions, Model, ModelInfo } from "../../model/model.js";
import type { Tokenizer } from "../../tokenizer/index.js";
import { availableParallelism } from "node:os";
import { supportsWasmSimd } from "../../kernels/wasm/index.js";
import { GemmaError } from "../../util/errors.js";
import { openGgufPath } from "./gguf-files.js";
import { openHfFolderPath } from "./hf-folder.js";
import { createNodeKernelPool } from "./worker-pool.js";
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
      `${resolved.dir}: this command reads GGUF headers only; Hugging Face folders can be loaded (gemma run), not inspected`,
    );
  }
  return openGgufPath(resolved.path);
}

export interface ModelDescription {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  readonly info: ModelInfo;
}

/** What a model is (configuration, tokenizer, sizes) from its headers alone, GGUF or Hugging Face folder. */
export async function describeModel(nameOrPath: string | undefined, opts: OpenModelOptions = {}): Promise<ModelDescription> {
  const resolved = await resolveModel(nameOrPath ?? DEFAULT_MODEL, { onProgress: opts.onProgress, signal: opts.signal });
  if (resolved.kind === "hf-folder") {
    const folder = await openHfFolderPath(resolved.dir);
    try {
      const { tokenizer, chatTemplate, addEos } = await readHfTokenizer(folder);
      return planHfModel(folder, tokenizer, chatTemplate, addEos);
    } finally {
      await folder.close();
    }
  }
  const file = await openGgufPath(resolved.path);
  try {
    return planGgufModel(file);
  } finally {
    await file.close();
  }
}

/** Opens and loads a model (GGUF or Hugging Face folder); the files are closed once the weights are in memory. */
export async function loadModel(
  nameOrPath: string | undefined,
  opts: OpenModelOptions & { onLoad?: LoadOptions["onProgress"]; backend?: Backend; threads?: number } = {},
): Promise<Model> {
  const backend = opts.backend ?? threadedBackend(opts.threads ?? availableParallelism());
  const resolved = await resolveModel(nameOrPath ?? DEFAULT_MODEL, { onProgress: opts.onProgress, signal: opts.signal });
  if (resolved.kind === "hf-folder") {
    const folder = await openHfFolderPath(resolved.dir);
    try {
      return await loadHfModel(folder, { onProgress: opts.onLoad, backend });
    } finally {
      await folder.close();
    }
  }
  const file = await openGgufPath(resolved.path);
  try {
    return await loadGgufModel(file, { onProgress: opts.onLoad, backend });
  } finally {
    await file.close();
  }
}

/** WebAssembly kernels on `threads` threads (a worker pool over shared memory), or on this thread alone. */
export function threadedBackend(threads: number): Backend {
  if (!supportsWasmSimd()) return "ref";
  if (threads <= 1) return "wasm";
  return {
    shared: true,
    create: async (memories) => {
      const pool = await createNodeKernelPool(memories, threads);
      return memories.map((_, i) => pool.forMemory(i));
    },
  };
}
