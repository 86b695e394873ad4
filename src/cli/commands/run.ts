import { Context } from "../../engine/context.js";
import { generate } from "../../engine/generate.js";
import { chatPromptTokens, stopTokens } from "../../engine/prompt.js";
import { GemmaError } from "../../util/errors.js";
import { boolArg, intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, contextSize, loadModelFromArgs, swaFull } from "../model-options.js";
import { SAMPLING_OPTIONS, samplingFromArgs } from "../sampling-options.js";
import { readAll } from "../stdin.js";

/**
 * `gemma run`: streams only the generated text to stdout, statistics to stderr. Instruction-tuned models get the
 * Gemma turn format with the prompt as plain-text content; base models complete the prompt as plain text.
 * --raw sends the prompt as is, parsing special-token strings, so a hand-written template works.
 */
export const runCommand: Command = {
  name: "run",
  summary: "generate text from a prompt (-p, or stdin)",
  usage: "gemma run [-m MODEL] [-p PROMPT] [-n N] [--temp T] [--top-k K] [--top-p P] [--min-p P] [--seed S] [--raw] [-c N]",
  options: {
    ...MODEL_OPTIONS,
    ...CONTEXT_OPTIONS,
    ...SAMPLING_OPTIONS,
    prompt: { type: "string", short: "p" },
    "max-tokens": { type: "string", short: "n" },
    raw: { type: "boolean" },
  },
  async run(values, _positionals, io) {
    const sampling = samplingFromArgs(values);
    const maxTokens = intArg(values, "max-tokens", 1) ?? 256;
    const raw = boolArg(values, "raw");
    const text = stringArg(values, "prompt") ?? (await readAll(io.stdin));
    if (text === "") throw new GemmaError("CLI_BAD_ARGS", "the prompt is empty (give -p TEXT or pipe it on stdin)");

    const model = await loadModelFromArgs(values, io);
    const tok = model.tokenizer;
    const prompt = raw
      ? tok.encode(text, { parseSpecial: true, addBos: true })
      : model.info.instructionTuned
        ? chatPromptTokens(tok, [{ role: "user", content: text }])
        : tok.encode(text, { parseSpecial: false, addBos: true });
    const ctxSize = contextSize(values, Math.min(model.config.contextLength, Math.max(4096, prompt.length + maxTokens)));
    if (prompt.length >= ctxSize) {
      throw new GemmaError("CONTEXT_OVERFLOW", `the prompt has ${prompt.length} tokens; the context holds ${ctxSize} (raise -c)`);
    }
    const ctx = new Context(model, { contextSize: ctxSize, swaFull: swaFull(values) });
    const run = generate(ctx, prompt, { maxTokens, sampling, stop: stopTokens(tok), signal: io.signal });
    let step = await run.next();
    while (!step.done) {
      io.stdout.write(step.value.text);
      step = await run.next();
    }
    const r = step.value;
    io.stdout.write(r.trailingText + "\n");
    const n = r.tokens.length;
    io.stderr.write(
      `\n[${r.promptTokens} prompt tokens in ${(r.prefillMs / 1000).toFixed(2)} s (${((r.promptTokens / r.prefillMs) * 1000).toFixed(1)} tok/s), ` +
        `${n} generated in ${(r.decodeMs / 1000).toFixed(2)} s (${n > 0 ? ((n / r.decodeMs) * 1000).toFixed(1) : "0"} tok/s), finish: ${r.finishReason}]\n`,
    );
    return 0;
  },
};
