import { GemmaError } from "../util/errors.js";
import type { Context } from "./context.js";

export interface PerplexityResult {
  readonly ppl: number;
  /** Uncertainty of ppl as llama.cpp prints it: ppl · sqrt(var(nll) / (count - 1)). */
  readonly pplStderr: number;
  readonly scoredTokens: number;
  readonly chunks: number;
  readonly ctx: number;
}

/**
 * Perplexity by llama.cpp's method (ggml-org/llama.cpp:tools/perplexity/perplexity.cpp): the text tokenized once
 * with BOS, cut into floor(n / ctx) windows of ctx tokens (the rest dropped), the first token of each window
 * replaced by BOS, and in each window the predictions from position ctx/2 on scored (ctx - ctx/2 - 1 of them).
 * `onChunk` receives the running perplexity after each window, `onToken` each scored token's negative log-likelihood.
 */
export function perplexity(
  context: Context,
  tokens: readonly number[],
  ctx: number,
  on: { onChunk?: (chunk: number, runningPpl: number) => void; onToken?: (nll: number) => void } = {},
): PerplexityResult {
  if (!Number.isInteger(ctx) || ctx < 4) throw new GemmaError("BAD_PROMPT", `perplexity context must be an integer >= 4, got ${ctx}`);
  if (ctx > context.contextSize) throw new GemmaError("BAD_PROMPT", `perplexity context ${ctx} exceeds the context size ${context.contextSize}`);
  if (tokens.length < 2 * ctx) {
    throw new GemmaError("BAD_PROMPT", `the text has ${tokens.length} tokens; perplexity at -c ${ctx} needs at least ${2 * ctx}`);
  }
  const bos = context.model.tokenizer.bos;
  const chunks = Math.floor(tokens.length / ctx);
  const first = Math.floor(ctx / 2);
  let nll = 0;
  let nll2 = 0;
  let count = 0;
  for (let c = 0; c < chunks; c++) {
    const window = tokens.slice(c * ctx, (c + 1) * ctx);
    window[0] = bos;
    context.clear();
    context.evaluate(window, {
      logits: (i) => i >= first,
      onLogits(i, logits) {
        if (i >= ctx - 1) return;
        const v = -logSoftmaxAt(logits, window[i + 1]!);
        nll += v;
        nll2 += v * v;
        on.onToken?.(v);
      },
    });
    count += ctx - first - 1;
    on.onChunk?.(c, Math.exp(nll / count));
  }
  const mean = nll / count;
  const variance = nll2 / count - mean * mean;
  const ppl = Math.exp(mean);
  return {
    ppl,
    pplStderr: variance > 0 ? Math.sqrt(variance / (count - 1)) * ppl : 0,
    scoredTokens: count,
    chunks,
    ctx,
  };
}

/** log softmax(logits)[target], with the sum in double. */
export function logSoftmaxAt(logits: Float32Array, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return logits[target]! - max - Math.log(sum);
}
