import { removeCachedModel } from "../../platform/node/sources/cached-models.js";
import { cacheName } from "../../platform/node/sources/resolve.js";
import { GemmaError } from "../../util/errors.js";
import type { Command } from "../command.js";
import { formatBytes } from "../progress.js";

export const rmCommand: Command = {
  name: "rm",
  summary: "delete models from the cache (names as `gemma list` shows them)",
  usage: "gemma rm NAME...",
  options: {},
  positionals: true,
  async run(_values, positionals, io) {
    if (positionals.length === 0) throw new GemmaError("CLI_BAD_ARGS", "name the model to delete (see `gemma list`)");
    for (const name of positionals) {
      const removed = await removeCachedModel(cacheName(name));
      io.stderr.write(`removed ${removed.name} (${formatBytes(removed.size)})\n`);
    }
    return 0;
  },
};
