import { GemmaError } from "../util/errors.js";
import type { Context, EvaluateOptions } from "./context.js";

/** How a prompt met the cache: tokens kept from before, and tokens evaluated now. */
export interface PrefillStats {
  readonly cachedTokens: number;
  readonly evaluatedTokens: number;
}

/**
 * A Context together with the token ids in its KV cache, so that a new prompt evaluates only what the cache does
 * not already hold. Whoever shares one (generations, chat sessions) reuses their common prefix; one user at a time.
 */
export class TokenSequence {
  readonly ctx: Context;
  private ids: number[] = [];
  private user: string | undefined;

  constructor(ctx: Context) {
    this.ctx = ctx;
  }

  /** The ids in the cache, in order. */
  get tokens(): readonly number[] {
    return this.ids;
  }

  /** Empties the cache. */
  clear(): void {
    this.ctx.clear();
    this.ids = [];
  }

  /**
   * Makes the cache hold the longest prefix of `prompt` it can keep, evaluates the rest and passes the logits of
   * the last prompt token to onLogits. At least one token is evaluated (its logits are needed). Rolling back
   * further than the sliding-window caches allow (Context.maxRollback; unlimited with swaFull) starts again
   * from an empty cache.
   */
  prefill(prompt: readonly number[], onLogits: (logits: Float32Array) => void): PrefillStats {
    if (prompt.length === 0) throw new GemmaError("BAD_PROMPT", "the prompt is empty");
    if (prompt.length > this.ctx.contextSize) {
      throw new GemmaError("CONTEXT_OVERFLOW", `the prompt has ${prompt.length} tokens; the context holds ${this.ctx.contextSize}`);
    }
    const keep = reusablePrefix(this.ids, prompt, this.ctx.maxRollback);
    if (keep < this.ids.length) {
      if (keep > 0) this.ctx.truncate(keep);
      else this.ctx.clear();
      this.ids.length = keep;
    }
    const rest = prompt.slice(keep);
    this.evaluate(rest, { logits: "last", onLogits: (_, l) => onLogits(l) });
    return { cachedTokens: keep, evaluatedTokens: rest.length };
  }

  /** Appends tokens to the cache. */
  evaluate(tokens: readonly number[], opts: EvaluateOptions = {}): void {
    try {
      this.ctx.evaluate(tokens, opts);
    } catch (e) {
      // a failed step may have written part of the batch: the cache no longer matches any id list
      this.clear();
      throw e;
    }
    for (const t of tokens) this.ids.push(t);
  }

  /**
   * Marks the sequence busy for `who` until the returned release function runs: a second generation on the same
   * cache while one is running is an error, not a silent corruption.
   */
  acquire(who: string): () => void {
    if (this.user !== undefined) throw new GemmaError("BAD_PROMPT", `the model is busy with ${this.user}; one generation at a time per model`);
    this.user = who;
    return () => {
      this.user = undefined;
    };
  }
}

/**
 * How many leading tokens of `prompt` a cache holding `cached` can keep: their common prefix, short of the whole
 * prompt (the last prompt token is evaluated again for its logits), or 0 when keeping it would roll back more than
 * `maxRollback` tokens (Context.maxRollback).
 */
export function reusablePrefix(cached: readonly number[], prompt: readonly number[], maxRollback: number): number {
  let keep = 0;
  const limit = Math.min(cached.length, prompt.length - 1);
  while (keep < limit && cached[keep] === prompt[keep]) keep++;
  return cached.length - keep <= maxRollback ? keep : 0;
}
