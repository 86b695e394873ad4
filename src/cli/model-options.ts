import { isKvType, type KvType } from "../engine/kv-cache.js";
import type { Model } from "../model/model.js";
import { GemmaError } from "../util/errors.js";
import { weightProgress } from "../platform/node/load-model.js";
import { describeModel, loadModel, openModelFile } from "../platform/node/model-file.js";
import { boolArg, intArg, stringArg } from "./args.js";
import type { CommandIo, OptionSpec, ParsedValues } from "./command.js";
import { progressRenderer } from "./progress.js";

/** Options every model command shares (conventions.md: one option set across commands). */
export const MODEL_OPTIONS: OptionSpec = {
  model: { type: "string", short: "m" },
  threads: { type: "string", short: "t" },
};

export const CONTEXT_OPTIONS: OptionSpec = {
  ctx: { type: "string", short: "c" },
  "swa-full": { type: "boolean" },
  "kv-type": { type: "string" },
};

export function modelName(values: ParsedValues): string | undefined {
  return stringArg(values, "model");
}

export function contextSize(values: ParsedValues, fallback: number): number {
  return intArg(values, "ctx", 1, 1 << 24) ?? fallback;
}

export function swaFull(values: ParsedValues): boolean {
  return boolArg(values, "swa-full");
}

/** --kv-type f32|f16|q8_0 (default f32). */
export function kvType(values: ParsedValues): KvType {
  const v = stringArg(values, "kv-type") ?? "f32";
  if (!isKvType(v)) throw new GemmaError("CLI_BAD_ARGS", `--kv-type must be f32, f16 or q8_0, got "${v}"`);
  return v;
}

/** The model named by -m from its headers alone (no weights read), GGUF or Hugging Face folder. */
export async function describeModelFromArgs(values: ParsedValues, io: CommandIo) {
  intArg(values, "threads", 1, 1024);
  return describeModel(modelName(values), { onProgress: progressRenderer(io.stderr), signal: io.signal });
}

export async function openModelHeader(values: ParsedValues, io: CommandIo) {
  intArg(values, "threads", 1, 1024);
  return openModelFile(modelName(values), { onProgress: progressRenderer(io.stderr), signal: io.signal });
}

/** Loads the model named by -m (the default model when absent), with progress on stderr. */
export async function loadModelFromArgs(values: ParsedValues, io: CommandIo): Promise<Model> {
  const threads = intArg(values, "threads", 1, 1024);
  const render = progressRenderer(io.stderr);
  return loadModel(modelName(values), {
    threads,
    onProgress: render,
    signal: io.signal,
    onLoad: weightProgress(render),
  });
}

