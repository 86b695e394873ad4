import { basename } from "node:path";
import { GemmaModel } from "../../api/model.js";
import { createApp, DEFAULT_PARALLEL } from "../../server/app.js";
import { listen } from "../../server/node-adapter.js";
import { GemmaError } from "../../util/errors.js";
import { intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, contextSize, kvType, loadModelFromArgs, modelName, swaFull } from "../model-options.js";
import { defaultContextSize } from "../../model/config.js";

/** Name of the model loaded when -m is absent (the catalog's default). */
const DEFAULT_MODEL_ID = "gemma3-270m";

/**
 * `gemma serve`: an OpenAI-compatible HTTP server (chat completions, completions, models, health, metrics) on
 * loopback by default. Up to --parallel requests (default 4) run at once, decoded together in one batch
 * (continuous batching); the rest wait in a bounded queue.
 */
export const serveCommand: Command = {
  name: "serve",
  summary: "serve the model over an OpenAI-compatible HTTP API",
  usage: "gemma serve [-m MODEL] [--host 127.0.0.1] [--port 8080] [--api-key KEY] [-c N] [--kv-type f32|f16|q8_0] [--queue N] [--parallel 4] [--cors ORIGIN]",
  options: {
    ...MODEL_OPTIONS,
    ...CONTEXT_OPTIONS,
    host: { type: "string" },
    port: { type: "string" },
    "api-key": { type: "string" },
    queue: { type: "string" },
    parallel: { type: "string" },
    cors: { type: "string" },
  },
  async run(values, _positionals, io) {
    const host = stringArg(values, "host") ?? "127.0.0.1";
    const port = intArg(values, "port", 0, 65535) ?? 8080;
    const queueSize = intArg(values, "queue", 0, 1 << 20) ?? 16;
    // each slot is one row of a decode step: at most the batch size (64) of them
    const parallel = intArg(values, "parallel", 1, 64) ?? DEFAULT_PARALLEL;
    const apiKey = stringArg(values, "api-key");
    if (apiKey === "") throw new GemmaError("CLI_BAD_ARGS", "--api-key is empty");
    const loaded = await loadModelFromArgs(values, io);
    const ctx = contextSize(values, defaultContextSize(loaded.config));
    const model = new GemmaModel(loaded, { contextSize: ctx, swaFull: swaFull(values), kvType: kvType(values), threads: intArg(values, "threads", 1, 1024) });
    const name = modelName(values);
    const modelId = name === undefined ? DEFAULT_MODEL_ID : basename(name).replace(/\.gguf$/i, "");
    const app = createApp({ model, modelId, apiKey, queueSize, parallel, corsOrigin: stringArg(values, "cors") });
    const server = await listen((r) => app.handle(r), host, port);
    io.stderr.write(`serving ${modelId} (${parallel} sequences of context ${ctx}); listening on ${server.url} (chat page: ${server.url}/)\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.close();
    return 0;
  },
};
