import { DEFAULT_SAMPLING, type SamplingOptions } from "../engine/sample.js";
import { GemmaError } from "../util/errors.js";
import { floatArg, intArg } from "./args.js";
import type { OptionSpec, ParsedValues } from "./command.js";

/** llama.cpp's sampling flags (ggml-org/llama.cpp:common/arg.cpp), same names and meanings. */
export const SAMPLING_OPTIONS: OptionSpec = {
  temp: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "min-p": { type: "string" },
  "typical-p": { type: "string" },
  "repeat-penalty": { type: "string" },
  "repeat-last-n": { type: "string" },
  "presence-penalty": { type: "string" },
  "frequency-penalty": { type: "string" },
  "logit-bias": { type: "string", multiple: true },
  seed: { type: "string" },
};

export const SAMPLING_USAGE =
  "[--temp T] [--top-k K] [--top-p P] [--min-p P] [--typical-p P] [--repeat-penalty R] [--repeat-last-n N] " +
  "[--presence-penalty P] [--frequency-penalty F] [--logit-bias ID=BIAS]... [--seed S]";

export function samplingFromArgs(values: ParsedValues): Required<SamplingOptions> {
  return {
    temperature: floatArg(values, "temp", 0, 100) ?? DEFAULT_SAMPLING.temperature,
    topK: intArg(values, "top-k", 0) ?? DEFAULT_SAMPLING.topK,
    topP: floatArg(values, "top-p", Number.MIN_VALUE, 1) ?? DEFAULT_SAMPLING.topP,
    minP: floatArg(values, "min-p", 0, 1) ?? DEFAULT_SAMPLING.minP,
    typicalP: floatArg(values, "typical-p", Number.MIN_VALUE, 1) ?? DEFAULT_SAMPLING.typicalP,
    repeatPenalty: floatArg(values, "repeat-penalty", Number.MIN_VALUE, 1e6) ?? DEFAULT_SAMPLING.repeatPenalty,
    // -1: the whole context, as in llama.cpp
    repeatLastN: intArg(values, "repeat-last-n", -1) ?? DEFAULT_SAMPLING.repeatLastN,
    presencePenalty: floatArg(values, "presence-penalty", -1e6, 1e6) ?? DEFAULT_SAMPLING.presencePenalty,
    frequencyPenalty: floatArg(values, "frequency-penalty", -1e6, 1e6) ?? DEFAULT_SAMPLING.frequencyPenalty,
    logitBias: logitBiasArg(values),
    seed: intArg(values, "seed", 0, 2 ** 32 - 1) ?? (Math.random() * 2 ** 32) >>> 0,
  };
}

/** --logit-bias ID=BIAS, repeatable; BIAS is a number or -inf (ban the token), as llama.cpp's -l. */
function logitBiasArg(values: ParsedValues): Record<number, number> {
  const raw = values["logit-bias"];
  const items = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const bias: Record<number, number> = {};
  for (const item of items) {
    const m = typeof item === "string" ? /^\s*(\d+)\s*=\s*(\S+)\s*$/.exec(item) : null;
    const value = m ? (/^[-]inf(inity)?$/i.test(m[2]!) ? -Infinity : Number(m[2])) : NaN;
    if (!m || !(Number.isFinite(value) || value === -Infinity)) {
      throw new GemmaError("CLI_BAD_ARGS", `--logit-bias takes ID=BIAS (a token id and a number or -inf), got "${String(item)}"`);
    }
    bias[Number(m[1])] = value;
  }
  return bias;
}
