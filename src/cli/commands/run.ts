import { GemmaModel } from "../../api/model.js";
import { chatFormat } from "../../engine/chat-template.js";
import { fimPromptIds, fimStopTokens, fimTokens } from "../../engine/fim.js";
import { GemmaError } from "../../util/errors.js";
import { boolArg, intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import {
  FIM_OPTIONS,
  GENERATION_OPTIONS,
  fimFromArgs,
  generationFromArgs,
  readGrammarFile,
  readJsonFile,
  statsLine,
  streamTo,
  templateArg,
} from "../generation-flags.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, contextSize, kvType, loadModelFromArgs, openModelHeader, swaFull } from "../model-options.js";
import { SAMPLING_OPTIONS, SAMPLING_USAGE } from "../sampling-options.js";
import { readAll } from "../stdin.js";

/**
 * `gemma run`: streams only the generated text to stdout, statistics to stderr. Instruction-tuned models (or any
 * model given --system) get the chat format with the prompt as plain-text content; base models complete the
 * prompt as plain text. --raw sends the prompt as is, parsing special-token strings, so a hand-written template
 * works. --json-schema FILE constrains the output to JSON valid against that schema; --grammar FILE to the language
 * of that GBNF grammar (root rule `root`). --fim-prefix/--fim-suffix ask a CodeGemma model for the code between
 * them (engine/fim.ts), ending at <|file_separator|>.
 */
export const runCommand: Command = {
  name: "run",
  summary: "generate text from a prompt (-p, or stdin)",
  usage:
    "gemma run [-m MODEL] [-p PROMPT] [-n N] [--system TEXT] [--stop STR]... [--json-schema FILE | --grammar FILE] [--template builtin|model] " +
    `[--raw] [--fim-prefix TEXT --fim-suffix TEXT] [-c N] [--kv-type f32|f16|q8_0] [--context-shift] ${SAMPLING_USAGE}`,
  options: {
    ...MODEL_OPTIONS,
    ...CONTEXT_OPTIONS,
    ...SAMPLING_OPTIONS,
    ...GENERATION_OPTIONS,
    ...FIM_OPTIONS,
    prompt: { type: "string", short: "p" },
    raw: { type: "boolean" },
    "json-schema": { type: "string" },
    grammar: { type: "string" },
  },
  async run(values, _positionals, io) {
    const gen = generationFromArgs(values, 256);
    const raw = boolArg(values, "raw");
    const system = stringArg(values, "system");
    const template = templateArg(values);
    if (raw && system !== undefined) throw new GemmaError("CLI_BAD_ARGS", "--system needs the chat format; it cannot be combined with --raw");
    const schemaPath = stringArg(values, "json-schema");
    const grammarPath = stringArg(values, "grammar");
    if (schemaPath !== undefined && grammarPath !== undefined) throw new GemmaError("CLI_BAD_ARGS", "give either --json-schema or --grammar, not both");
    const jsonSchema = schemaPath === undefined ? undefined : await readJsonFile(schemaPath);
    const grammar = grammarPath === undefined ? undefined : await readGrammarFile(grammarPath);
    const fim = fimFromArgs(values);
    if (fim !== undefined && (raw || system !== undefined || stringArg(values, "prompt") !== undefined)) {
      throw new GemmaError("CLI_BAD_ARGS", "--fim-prefix/--fim-suffix build the whole prompt; they cannot be combined with -p, --raw or --system");
    }
    const text = fim !== undefined ? "" : (stringArg(values, "prompt") ?? (await readAll(io.stdin)));
    if (fim === undefined && text === "") throw new GemmaError("CLI_BAD_ARGS", "the prompt is empty (give -p TEXT or pipe it on stdin)");

    const loaded = await loadModelFromArgs(values, io);
    const tok = loaded.tokenizer;
    let fimStops: number[] | undefined;
    let fimIds: number[] | undefined;
    if (fim !== undefined) {
      const header = await openModelHeader(values, io);
      try {
        const markers = fimTokens(tok, header.metadata);
        fimIds = fimPromptIds(tok, markers, fim.prefix, fim.suffix);
        fimStops = fimStopTokens(tok, markers);
      } finally {
        await header.close();
      }
    }
    const chat = fimIds === undefined && !raw && (loaded.info.instructionTuned || system !== undefined);
    const messages = [...(system === undefined ? [] : [{ role: "system" as const, content: system }]), { role: "user" as const, content: text }];
    const prompt =
      fimIds ?? (chat ? chatFormat(tok, loaded.info.chatTemplate, template).tokens(messages) : tok.encode(text, { parseSpecial: raw, addBos: tok.addBos }));
    const maxTokens = gen.maxTokens!;
    const ctxSize = contextSize(values, Math.min(loaded.config.contextLength, Math.max(4096, prompt.length + maxTokens)));
    if (prompt.length >= ctxSize && gen.contextOverflow !== "shift") {
      throw new GemmaError("CONTEXT_OVERFLOW", `the prompt has ${prompt.length} tokens; the context holds ${ctxSize} (raise -c)`);
    }
    const model = new GemmaModel(loaded, { contextSize: ctxSize, swaFull: swaFull(values), kvType: kvType(values), threads: intArg(values, "threads", 1, 1024) });
    const r = await streamTo(io, model.generate(prompt, { ...gen, jsonSchema, grammar, stopTokens: fimStops, signal: io.signal }));
    io.stdout.write("\n");
    io.stderr.write("\n" + statsLine(r));
    return 0;
  },
};
