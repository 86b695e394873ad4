import { Context } from "../../src/engine/context.js";
import { logSoftmaxAt } from "../../src/engine/perplexity.js";
import type { GemmaModel, ModelOptions } from "../../src/api/model.js";
import { loadModel } from "../../src/platform/node/load-model.js";

/** The tiny random-weight Gemma 3 fixture: vocabulary of 298 with Gemma's turn tokens, sliding window 8. */
export const TINY_GEMMA3 = "test/fixtures/tiny/gemma3.gguf";

/** Loads it with the kernels on this thread (a worker pool would only add start-up time on so small a model). */
export function loadTiny(opts: ModelOptions = {}): Promise<GemmaModel> {
  return loadModel(TINY_GEMMA3, { threads: 1, ...opts });
}

/**
 * log softmax rows of a fresh context (its own cache, whole sequence in one go) for positions from..ids.length-1:
 * the independent side of the cache-reuse comparisons.
 */
export function freshLogprobs(model: GemmaModel, ids: readonly number[], from: number): Float64Array[] {
  const ctx = new Context(model.model, { contextSize: Math.max(ids.length, 1), swaFull: true });
  const rows: Float64Array[] = [];
  ctx.evaluate(ids, {
    logits: (i) => i >= from,
    onLogits: (i, l) => {
      const minusLse = logSoftmaxAt(l, 0) - l[0]!;
      rows[i - from] = Float64Array.from(l, (v) => v + minusLse);
    },
  });
  return rows;
}

/** Ids of the two end-of-generation tokens, banned so that answers run to their token limit. */
export function noStopBias(model: GemmaModel): Record<number, number> {
  const tok = model.tokenizer;
  return { [tok.eos]: -Infinity, [tok.tokenId("<end_of_turn>")!]: -Infinity };
}
