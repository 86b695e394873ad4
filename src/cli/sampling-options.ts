import { DEFAULT_SAMPLING, type SamplingOptions } from "../engine/sample.js";
import { floatArg, intArg } from "./args.js";
import type { OptionSpec, ParsedValues } from "./command.js";

export const SAMPLING_OPTIONS: OptionSpec = {
  temp: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "min-p": { type: "string" },
  seed: { type: "string" },
};

export function samplingFromArgs(values: ParsedValues): SamplingOptions {
  return {
    temperature: floatArg(values, "temp", 0, 100) ?? DEFAULT_SAMPLING.temperature,
    topK: intArg(values, "top-k", 0) ?? DEFAULT_SAMPLING.topK,
    topP: floatArg(values, "top-p", Number.MIN_VALUE, 1) ?? DEFAULT_SAMPLING.topP,
    minP: floatArg(values, "min-p", 0, 1) ?? DEFAULT_SAMPLING.minP,
    seed: intArg(values, "seed", 0, 2 ** 32 - 1) ?? (Math.random() * 2 ** 32) >>> 0,
  };
}
