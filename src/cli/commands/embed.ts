import { GemmaModel } from "../../api/model.js";
import { boolArg, intArg, requiredString } from "../args.js";
import type { Command } from "../command.js";
import { MODEL_OPTIONS, loadModelFromArgs } from "../model-options.js";

/**
 * `gemma embed`: the embedding of a text from an embedding model (EmbeddingGemma; engine/embed.ts). Prints the
 * vector's components on one line, separated by spaces; --json prints {model, dimensions, tokens, embedding}.
 * The vector is L2-normalized as the model says (a sentence-transformers folder: when modules.json lists Normalize;
 * a GGUF: always, as llama.cpp's embedding tool), or as --normalize / --no-normalize say; --dimensions N keeps its
 * first N components (Matryoshka). A folder's text is cut to its max_seq_length tokens (model.embeddingTokens).
 */
export const embedCommand: Command = {
  name: "embed",
  summary: "EmbeddingGemma: the embedding vector of a text",
  usage: "gemma embed [-m MODEL] -p TEXT [-c N] [--dimensions N] [--normalize | --no-normalize] [--json]",
  options: {
    ...MODEL_OPTIONS,
    prompt: { type: "string", short: "p" },
    ctx: { type: "string", short: "c" },
    dimensions: { type: "string" },
    normalize: { type: "boolean" },
    "no-normalize": { type: "boolean" },
    json: { type: "boolean" },
  },
  async run(values, _positionals, io) {
    const text = requiredString(values, "prompt");
    const contextSize = intArg(values, "ctx", 1, 1 << 24);
    const model = new GemmaModel(await loadModelFromArgs(values, io), { contextSize });
    const ids = model.embeddingTokens(text);
    const normalize = boolArg(values, "no-normalize") ? false : boolArg(values, "normalize") ? true : undefined;
    const vector = model.embed(ids, { normalize, dimensions: intArg(values, "dimensions", 1) });
    if (boolArg(values, "json")) {
      io.stdout.write(JSON.stringify({ model: model.config.name, dimensions: vector.length, tokens: ids.length, embedding: [...vector] }) + "\n");
    } else {
      io.stdout.write(vector.join(" ") + "\n");
    }
    return 0;
  },
};
