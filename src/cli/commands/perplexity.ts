import { readFile } from "node:fs/promises";
import { Context } from "../../engine/context.js";
import { perplexity } from "../../engine/perplexity.js";
import { GemmaError } from "../../util/errors.js";
import { boolArg, requiredString } from "../args.js";
import type { Command } from "../command.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, contextSize, kvType, loadModelFromArgs } from "../model-options.js";

/** `gemma perplexity`: llama.cpp's perplexity method (see engine/perplexity.ts) on a text file. */
export const perplexityCommand: Command = {
  name: "perplexity",
  summary: "perplexity of a text file, by llama.cpp's method",
  usage: "gemma perplexity [-m MODEL] -f FILE [-c N] [--kv-type f32|f16|q8_0] [--json]",
  options: { ...MODEL_OPTIONS, ...CONTEXT_OPTIONS, file: { type: "string", short: "f" }, json: { type: "boolean" } },
  async run(values, _positionals, io) {
    const path = requiredString(values, "file");
    const n = contextSize(values, 512);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      throw new GemmaError("FILE_NOT_FOUND", `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    // llama-perplexity's file loader drops one trailing newline (ggml-org/llama.cpp:common/arg.cpp); so do we,
    // so that both score the same tokens.
    if (text.endsWith("\n")) text = text.slice(0, -1);
    const model = await loadModelFromArgs(values, io);
    const tokens = model.tokenizer.encode(text, { parseSpecial: false, addBos: true });
    const ctx = new Context(model, { contextSize: n, batchSize: Math.min(n, 64), kvType: kvType(values) });
    const t0 = performance.now();
    const r = perplexity(ctx, tokens, n, { onChunk: (chunk, ppl) => io.stderr.write(`[${chunk + 1}]${ppl.toFixed(4)},`) });
    io.stderr.write(`\n${r.chunks} chunks of ${n} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    if (boolArg(values, "json")) {
      io.stdout.write(JSON.stringify({ ppl: r.ppl, ppl_stderr: r.pplStderr, scored_tokens: r.scoredTokens, chunks: r.chunks, ctx: r.ctx }) + "\n");
    } else {
      io.stdout.write(`PPL = ${r.ppl.toFixed(4)} +/- ${r.pplStderr.toFixed(5)}\n`);
    }
    return 0;
  },
};
