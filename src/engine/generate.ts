import type { Context } from "./context.js";
import { Sampler, type SamplingOptions } from "./sample.js";

export interface GenerateOptions {
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  /** Token ids that end generation (not emitted). */
  readonly stop: readonly number[];
  readonly signal?: AbortSignal | undefined;
}

export type FinishReason = "stop" | "length" | "abort";

export interface GeneratedToken {
  readonly token: number;
  /** Text this token completes (may be "" while a multi-byte character is still incomplete). */
  readonly text: string;
}

export interface GenerateResult {
  readonly tokens: number[];
  readonly finishReason: FinishReason;
  readonly promptTokens: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  /** Text held back by the stream decoder at the end (an incomplete character, rendered as U+FFFD). */
  readonly trailingText: string;
}

/**
 * Pre-fills `prompt` and samples until a stop token, the token limit, the end of the context or an abort.
 * Yields each token with its text; returns the totals. Between tokens it yields to the event loop so that
 * streamed text reaches its reader and an abort can arrive.
 */
export async function* generate(ctx: Context, prompt: readonly number[], o: GenerateOptions): AsyncGenerator<GeneratedToken, GenerateResult> {
  const vocab = ctx.model.config.vocabSize;
  const sampler = new Sampler(vocab, o.sampling);
  const decoder = ctx.model.tokenizer.streamDecoder();
  const tokens: number[] = [];
  let last: Float32Array = new Float32Array(0);
  const keep = (_: number, logits: Float32Array) => {
    last = logits;
  };
  const t0 = performance.now();
  ctx.evaluate(prompt, { logits: "last", onLogits: keep });
  const t1 = performance.now();
  let finishReason: FinishReason = "length";
  while (tokens.length < o.maxTokens) {
    if (o.signal?.aborted) {
      finishReason = "abort";
      break;
    }
    const next = sampler.sample(last, vocab);
    if (o.stop.includes(next)) {
      finishReason = "stop";
      break;
    }
    tokens.push(next);
    yield { token: next, text: decoder.push(next) };
    if (tokens.length >= o.maxTokens) break;
    if (ctx.nPast >= ctx.contextSize) break;
    await new Promise((r) => setTimeout(r, 0));
    ctx.evaluate([next], { logits: "last", onLogits: keep });
  }
  return {
    tokens,
    finishReason,
    promptTokens: prompt.length,
    prefillMs: t1 - t0,
    decodeMs: performance.now() - t1,
    trailingText: decoder.flush(),
  };
}
