import { listCachedModels } from "../../platform/node/sources/cached-models.js";
import { gemmaHome } from "../../platform/node/sources/home.js";
import { boolArg } from "../args.js";
import type { Command } from "../command.js";
import { formatBytes } from "../progress.js";

export const listCommand: Command = {
  name: "list",
  summary: "list the models in the cache ($GEMMA_HOME): name, size, path",
  usage: "gemma list [--json]",
  options: { json: { type: "boolean" } },
  async run(values, _positionals, io) {
    const home = gemmaHome();
    const models = await listCachedModels(home);
    if (boolArg(values, "json")) {
      io.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return 0;
    }
    if (models.length === 0) {
      io.stderr.write(`no models in ${home} (fetch one with \`gemma pull\`)\n`);
      return 0;
    }
    const rows = [["NAME", "SIZE", "PATH"], ...models.map((m) => [m.name, formatBytes(m.size), m.path])];
    const widths = [0, 1].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) io.stdout.write(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]}\n`);
    return 0;
  },
};
