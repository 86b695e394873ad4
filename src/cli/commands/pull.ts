import { DEFAULT_MODEL, resolveModel } from "../../platform/node/sources/resolve.js";
import { GemmaError } from "../../util/errors.js";
import { stringArg } from "../args.js";
import type { Command } from "../command.js";
import { progressRenderer } from "../progress.js";

export const pullCommand: Command = {
  name: "pull",
  summary: "download a model into the cache (checking what is there) and print its path",
  usage:
    `gemma pull [NAME]   NAME: a catalog name (default ${DEFAULT_MODEL}), hf:owner/repo[:QUANT|:file], ` +
    "ollama:NAME[:TAG] or a path",
  options: { model: { type: "string", short: "m" } },
  positionals: true,
  async run(values, positionals, io) {
    const flag = stringArg(values, "model");
    if (positionals.length > 1 || (flag !== undefined && positionals.length > 0)) {
      throw new GemmaError("CLI_BAD_ARGS", "name one model, as NAME or -m NAME");
    }
    const model = await resolveModel(positionals[0] ?? flag ?? DEFAULT_MODEL, {
      onProgress: progressRenderer(io.stderr),
      signal: io.signal,
      verify: true,
    });
    io.stdout.write(`${model.kind === "gguf" ? model.path : model.dir}\n`);
    return 0;
  },
};
