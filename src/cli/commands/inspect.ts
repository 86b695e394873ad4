import { Context } from "../../engine/context.js";
import { topIndices } from "../../engine/sample.js";
import { GemmaError } from "../../util/errors.js";
import { boolArg, intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { MODEL_OPTIONS, loadModelFromArgs } from "../model-options.js";

/**
 * `gemma inspect`: for each position the top-K next tokens with their logits, and the L2 norm of the residual
 * stream at every stage (0: scaled embedding, l + 1: after layer l), a first look inside the model.
 */
export const inspectCommand: Command = {
  name: "inspect",
  summary: "per-position top-K logits and per-layer residual norms",
  usage: "gemma inspect [-m MODEL] (-p PROMPT | --ids 2,106,...) [--top K] [--json]",
  options: { ...MODEL_OPTIONS, prompt: { type: "string", short: "p" }, ids: { type: "string" }, top: { type: "string" }, json: { type: "boolean" } },
  async run(values, _positionals, io) {
    const prompt = stringArg(values, "prompt");
    const idsArg = stringArg(values, "ids");
    if ((prompt === undefined) === (idsArg === undefined)) throw new GemmaError("CLI_BAD_ARGS", "give exactly one of -p PROMPT or --ids");
    const k = intArg(values, "top", 1, 1000) ?? 5;
    const ids = idsArg === undefined ? undefined : parseIds(idsArg);
    const model = await loadModelFromArgs(values, io);
    const tok = model.tokenizer;
    const tokens = ids ?? tok.encode(prompt!, { parseSpecial: true, addBos: true });
    if (tokens.length === 0) throw new GemmaError("CLI_BAD_ARGS", "no tokens to inspect");
    const ctx = new Context(model, { contextSize: tokens.length, batchSize: Math.min(64, tokens.length) });
    const stages = model.config.nLayers + 1;
    const norms = Array.from({ length: stages }, () => new Array<number>(tokens.length).fill(0));
    const top: [number, number][][] = [];
    const idx = new Int32Array(k);
    ctx.evaluate(tokens, {
      logits: "all",
      onLogits(i, logits) {
        const n = topIndices(logits, logits.length, k, idx);
        top[i] = Array.from(idx.subarray(0, n), (id) => [id, logits[id]!]);
      },
      onResidual(stage, i, x) {
        let s = 0;
        for (let j = 0; j < x.length; j++) s += x[j]! * x[j]!;
        norms[stage]![i] = Math.sqrt(s);
      },
    });
    if (boolArg(values, "json")) {
      io.stdout.write(
        JSON.stringify({
          tokens,
          positions: tokens.map((t, i) => ({ index: i, token: t, piece: tok.piece(t), top: top[i] })),
          residualNorms: norms,
        }) + "\n",
      );
      return 0;
    }
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const best = top[i]!.map(([id, l]) => `${JSON.stringify(tok.piece(id))} ${id} ${l.toFixed(3)}`).join(" | ");
      io.stdout.write(`${String(i).padStart(4)} ${String(t).padStart(6)} ${JSON.stringify(tok.piece(t)).padEnd(16)} -> ${best}\n`);
    }
    io.stdout.write("\nresidual L2 norm per stage (0 = embedding), last position:\n");
    norms.forEach((row, s) => io.stdout.write(`  ${String(s).padStart(3)} ${row[tokens.length - 1]!.toFixed(3)}\n`));
    return 0;
  },
};

function parseIds(s: string): number[] {
  const parts = s.split(",").map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new GemmaError("CLI_BAD_ARGS", `--ids must be comma-separated token ids, got "${s}"`);
  return parts.map(Number);
}
