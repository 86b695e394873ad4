import { readFile } from "node:fs/promises";
import type { ChatTemplateChoice } from "../engine/chat-template.js";
import type { GenerateResult } from "../engine/generate.js";
import type { GenerationOptions } from "../engine/generation-options.js";
import type { GenerationStream } from "../engine/generation-stream.js";
import { compileGbnf } from "../engine/grammar/gbnf.js";
import { GemmaError } from "../util/errors.js";
import { boolArg, intArg, stringArg } from "./args.js";
import type { CommandIo, OptionSpec, ParsedValues } from "./command.js";
import { samplingFromArgs } from "./sampling-options.js";

/** Options `gemma run` and `gemma chat` share beyond the model, context and sampling flags. */
export const GENERATION_OPTIONS: OptionSpec = {
  "max-tokens": { type: "string", short: "n" },
  system: { type: "string" },
  stop: { type: "string", multiple: true },
  template: { type: "string" },
  "context-shift": { type: "boolean" },
};

/** `gemma run`'s fill-in-the-middle flags (CodeGemma, gemma-architecture.md §6.2). */
export const FIM_OPTIONS: OptionSpec = {
  "fim-prefix": { type: "string" },
  "fim-suffix": { type: "string" },
};

/** The infill asked for by --fim-prefix/--fim-suffix (either alone means the other is empty), or undefined. */
export function fimFromArgs(values: ParsedValues): { readonly prefix: string; readonly suffix: string } | undefined {
  const prefix = stringArg(values, "fim-prefix");
  const suffix = stringArg(values, "fim-suffix");
  return prefix === undefined && suffix === undefined ? undefined : { prefix: prefix ?? "", suffix: suffix ?? "" };
}

export function templateArg(values: ParsedValues): ChatTemplateChoice {
  const t = stringArg(values, "template") ?? "auto";
  if (t !== "auto" && t !== "builtin" && t !== "model") throw new GemmaError("CLI_BAD_ARGS", `--template must be builtin, model or auto, got "${t}"`);
  return t;
}

/** The generation settings the flags give (sampling, limits, stop strings, overflow policy). */
export function generationFromArgs(values: ParsedValues, fallbackMaxTokens: number): GenerationOptions {
  const stop = values.stop;
  return {
    ...samplingFromArgs(values),
    maxTokens: intArg(values, "max-tokens", 1) ?? fallbackMaxTokens,
    stop: stop === undefined ? undefined : (Array.isArray(stop) ? stop : [stop]).map(String),
    contextOverflow: boolArg(values, "context-shift") ? "shift" : "error",
  };
}

/** One line of statistics on stderr after a generation. */
export function statsLine(r: GenerateResult): string {
  const n = r.tokens.length;
  const evaluated = r.promptTokens - r.cachedTokens;
  const rate = (count: number, ms: number) => (count > 0 && ms > 0 ? ((count / ms) * 1000).toFixed(1) : "0");
  return (
    `[${evaluated} prompt tokens evaluated${r.cachedTokens > 0 ? ` (${r.cachedTokens} cached)` : ""} in ${(r.prefillMs / 1000).toFixed(2)} s ` +
    `(${rate(evaluated, r.prefillMs)} tok/s), ${n} generated in ${(r.decodeMs / 1000).toFixed(2)} s (${rate(n, r.decodeMs)} tok/s), ` +
    `finish: ${r.finishReason}${r.shifts > 0 ? `, context shifted ${r.shifts}x` : ""}]\n`
  );
}

/** Writes a generation's text to stdout as it comes; returns its result. */
export async function streamTo<R extends GenerateResult>(io: CommandIo, stream: GenerationStream<R>): Promise<R> {
  for await (const chunk of stream) io.stdout.write(chunk.text);
  return stream.finished();
}

async function readTextFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    throw new GemmaError("FILE_NOT_FOUND", `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
}

/** A GBNF file's text, compiled once here so that a bad grammar fails, naming the file, before the model loads. */
export async function readGrammarFile(path: string): Promise<string> {
  const text = await readTextFile(path);
  try {
    compileGbnf(text);
  } catch (e) {
    if (e instanceof GemmaError) throw new GemmaError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
  return text;
}

/** A JSON file's value (the --json-schema flags). */
export async function readJsonFile(path: string): Promise<unknown> {
  const text = await readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new GemmaError("CLI_BAD_INPUT", `${path}: not JSON (${(e as Error).message})`, { cause: e });
  }
}
