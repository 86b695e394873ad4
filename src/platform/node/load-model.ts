import { checkModelOptions, GemmaModel, type ModelOptions } from "../../api/model.js";
import type { LoadProgress } from "../../model/model.js";
import { loadModel as loadEngineModel } from "./model-file.js";
import type { ProgressListener } from "./sources/progress.js";

export interface NodeLoadOptions extends ModelOptions {
  /**
   * Progress of fetching (a download, an assembly, a checksum) and of reading the weights, the last as
   * "advance"/"finish" events labelled "loading weights". src/cli/progress.ts renders them as progress bars.
   */
  readonly onProgress?: ProgressListener;
  /** Aborts a download or load in progress. */
  readonly signal?: AbortSignal;
}

/** Label of the progress events of reading the weights. */
export const LOADING_WEIGHTS = "loading weights";

/**
 * Loads a model by catalog name (`gemma3-270m`, the default), `hf:owner/repo[:quant]`, `ollama:name`, the http(s)
 * URL of a GGUF file, or a path to a GGUF file or a Hugging Face folder, fetching it into the cache first if needed. The kernels run on `threads`
 * threads (default: every core; worker threads over shared WebAssembly memory).
 */
export async function loadModel(nameOrPath?: string, opts: NodeLoadOptions = {}): Promise<GemmaModel> {
  checkModelOptions(opts);
  const progress = opts.onProgress;
  const model = await loadEngineModel(nameOrPath, {
    threads: opts.threads,
    onProgress: progress,
    signal: opts.signal,
    onLoad: progress ? weightProgress(progress) : undefined,
  });
  return new GemmaModel(model, opts);
}

/** Reports the reading of the weights as "advance"/"finish" progress events labelled LOADING_WEIGHTS. */
export function weightProgress(progress: ProgressListener): (p: LoadProgress) => void {
  return ({ loadedBytes, totalBytes }) =>
    progress(
      loadedBytes === totalBytes
        ? { type: "finish", label: LOADING_WEIGHTS }
        : { type: "advance", label: LOADING_WEIGHTS, done: loadedBytes, total: totalBytes },
    );
}
