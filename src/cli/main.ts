import { parseArgs } from "node:util";
import { isGemmaError } from "../util/errors.js";
import type { Command, CommandIo } from "./command.js";
import { commands } from "./commands/index.js";

const VERSION = "0.1.0";

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `gemma ${VERSION}: run Google's Gemma models from GGUF and Hugging Face files`,
    "",
    "usage: gemma <command> [options]",
    "",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `gemma <command> --help` for a command's options.",
    "",
  ].join("\n");
}

function commandHelp(c: Command): string {
  const lines = [`usage: ${c.usage}`, "", c.summary, "", "options:"];
  for (const [name, spec] of Object.entries(c.options)) {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    lines.push(`  ${short}--${name}${spec.type === "string" ? " VALUE" : ""}`);
  }
  return lines.join("\n") + "\n";
}

/** Entry point of the `gemma` executable; returns the exit code. */
export async function main(argv: string[], io?: Partial<CommandIo>): Promise<number> {
  const controller = new AbortController();
  const full: CommandIo = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    stdin: io?.stdin ?? process.stdin,
    signal: io?.signal ?? controller.signal,
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    full.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    full.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    full.stderr.write(`gemma: unknown command "${name}" (run \`gemma --help\` for the list)\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: command.positionals ?? false,
      strict: true,
    });
  } catch (e) {
    full.stderr.write(`gemma ${name}: ${(e as Error).message}\n`);
    return 2;
  }
  if (parsed.values.help) {
    full.stdout.write(commandHelp(command));
    return 0;
  }
  const onSigint = () => controller.abort();
  if (!io?.signal) process.once("SIGINT", onSigint);
  try {
    return await command.run(parsed.values, parsed.positionals, full);
  } catch (e) {
    if (isGemmaError(e)) {
      full.stderr.write(`gemma ${name}: ${e.message} [${e.code}]\n`);
      return e.code === "CLI_BAD_ARGS" ? 2 : 1;
    }
    throw e;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
