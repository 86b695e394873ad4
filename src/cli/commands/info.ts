import { kvCacheBytes } from "../../engine/kv-cache.js";
import { boolArg } from "../args.js";
import type { Command } from "../command.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, contextSize, describeModelFromArgs, kvType, swaFull } from "../model-options.js";
import { defaultContextSize } from "../../model/config.js";

const DEFAULT_BATCH = 64;

/** `gemma info`: what a model file holds, from its header alone (no weights are read). */
export const infoCommand: Command = {
  name: "info",
  summary: "describe a model: architecture, size, tensor types, tokenizer, memory for a context",
  usage: "gemma info [-m MODEL] [-c N] [--swa-full] [--kv-type f32|f16|q8_0] [--json]",
  options: { ...MODEL_OPTIONS, ...CONTEXT_OPTIONS, json: { type: "boolean" } },
  async run(values, _positionals, io) {
    const { config: c, tokenizer: tok, info } = await describeModelFromArgs(values, io);
    const ctx = contextSize(values, defaultContextSize(c));
    const kv = kvType(values);
    const kvBytes = kvCacheBytes(c, { contextSize: ctx, maxBatch: DEFAULT_BATCH, swaFull: swaFull(values), kvType: kv });
    const globalLayers = c.layers.filter((l) => l.window === 0).length;
    const report = {
      file: info.source,
      architecture: c.architecture,
      name: c.name,
      instructionTuned: info.instructionTuned,
      parameters: info.parameterCount,
      layers: c.nLayers,
      dModel: c.dModel,
      heads: c.nHeads,
      kvHeads: c.nKvHeads,
      headDim: c.headDim,
      dFfn: c.dFfn,
      contextLength: c.contextLength,
      slidingWindow: Math.max(0, ...c.layers.map((l) => l.window)),
      globalLayers,
      tensorTypes: Object.fromEntries(
        Object.entries(info.bytesByType)
          .sort((a, b) => b[1] - a[1])
          .map(([type, bytes]) => [type, { bytes, share: bytes / info.weightBytes }]),
      ),
      tokenizer: { vocabSize: tok.vocabSize, bos: tok.bos, eos: tok.eos, addBos: tok.addBos },
      chatTemplate: info.chatTemplate !== undefined,
      weightBytes: info.weightBytes,
      context: ctx,
      kvCacheBytes: kvBytes,
      kvType: kv,
      swaFull: swaFull(values),
    };
    if (boolArg(values, "json")) {
      io.stdout.write(JSON.stringify(report) + "\n");
      return 0;
    }
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    const lines = [
      `file:            ${report.file}`,
      `architecture:    ${c.architecture} (${c.name}), ${info.instructionTuned ? "instruction-tuned" : "base (pre-trained)"}`,
      `parameters:      ${(info.parameterCount / 1e6).toFixed(1)} M`,
      `layers:          ${c.nLayers} (${globalLayers} global, ${c.nLayers - globalLayers} sliding-window of ${report.slidingWindow})`,
      `dimensions:      model ${c.dModel}, ffn ${c.dFfn}, heads ${c.nHeads} x ${c.headDim}, kv heads ${c.nKvHeads}`,
      `context length:  ${c.contextLength}`,
      `tensor types:    ${Object.entries(report.tensorTypes)
        .map(([t, v]) => `${t} ${(v.share * 100).toFixed(1)}%`)
        .join(", ")}`,
      `tokenizer:       ${tok.vocabSize} tokens, bos ${tok.bos}, eos ${tok.eos}${info.chatTemplate ? ", chat template" : ""}`,
      `weights:         ${mib(info.weightBytes)}`,
      `KV cache (${kv}):${" ".repeat(5 - kv.length)}${mib(kvBytes)} for a context of ${ctx}${report.swaFull ? " (full-length sliding-window caches)" : ""}`,
    ];
    io.stdout.write(lines.join("\n") + "\n");
    return 0;
  },
};
