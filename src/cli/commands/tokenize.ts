import { createInterface } from "node:readline";
import { GemmaError } from "../../util/errors.js";
import { boolArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { MODEL_OPTIONS, describeModelFromArgs } from "../model-options.js";
import { readAll } from "../stdin.js";

/**
 * `gemma tokenize` (conventions.md): one JSON array of ids; with --jsonl, one JSON string per input line in and
 * one array per line out. Special-token strings are parsed unless --no-special; no BOS unless --bos.
 */
export const tokenizeCommand: Command = {
  name: "tokenize",
  summary: "print the token ids of a text as JSON",
  usage: "gemma tokenize [-m MODEL] [-p TEXT | --jsonl] [--bos] [--no-special]",
  options: { ...MODEL_OPTIONS, prompt: { type: "string", short: "p" }, jsonl: { type: "boolean" }, bos: { type: "boolean" }, "no-special": { type: "boolean" } },
  async run(values, _positionals, io) {
    const prompt = stringArg(values, "prompt");
    const jsonl = boolArg(values, "jsonl");
    if (jsonl && prompt !== undefined) throw new GemmaError("CLI_BAD_ARGS", "--jsonl reads stdin; it cannot be combined with -p");
    const { tokenizer: tok } = await describeModelFromArgs(values, io);
    const opts = { parseSpecial: !boolArg(values, "no-special"), addBos: boolArg(values, "bos") };
    if (!jsonl) {
      const text = prompt ?? (await readAll(io.stdin));
      io.stdout.write(JSON.stringify(tok.encode(text, opts)) + "\n");
      return 0;
    }
    let lineNo = 0;
    for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
      lineNo++;
      if (line.trim() === "") continue;
      let text: unknown;
      try {
        text = JSON.parse(line);
      } catch (e) {
        throw new GemmaError("CLI_BAD_INPUT", `line ${lineNo} of stdin is not JSON: ${(e as Error).message}`);
      }
      if (typeof text !== "string") throw new GemmaError("CLI_BAD_INPUT", `line ${lineNo} of stdin must be a JSON string`);
      io.stdout.write(JSON.stringify(tok.encode(text, opts)) + "\n");
    }
    return 0;
  },
};
