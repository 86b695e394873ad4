import { topIndices } from "./candidate-sort.js";

export interface TokenProbability {
  readonly token: number;
  /** Natural log of the token's probability. */
  readonly logprob: number;
}

/** The chosen token's log-probability and the most likely alternatives at that step. */
export interface TokenLogprobs extends TokenProbability {
  /** The `n` most likely tokens, most likely first (the chosen one among them when it ranks there). */
  readonly top: readonly TokenProbability[];
}

/**
 * Log-probabilities under the model's own distribution, log softmax of the raw logits, before any sampling
 * setting (temperature, penalties, bias, constraint) changes them, as OpenAI's `logprobs` report them.
 * Measured once per step before sampling (a constraint may mask the logits in place afterwards).
 */
export class LogprobReader {
  private readonly best: Int32Array;
  private lse = 0;
  private top: TokenProbability[] = [];

  constructor(readonly n: number) {
    this.best = new Int32Array(n);
  }

  /** Reads the step's logits (the first `vocabSize`). */
  observe(logits: Float32Array, vocabSize: number): void {
    let max = -Infinity;
    for (let i = 0; i < vocabSize; i++) if (logits[i]! > max) max = logits[i]!;
    let sum = 0;
    for (let i = 0; i < vocabSize; i++) sum += Math.exp(logits[i]! - max);
    this.lse = max + Math.log(sum);
    const m = topIndices(logits, vocabSize, this.n, this.best);
    this.top = Array.from(this.best.subarray(0, m), (token) => ({ token, logprob: logits[token]! - this.lse }));
  }

  /** The record for the token drawn at this step; `logit` is its raw logit (unchanged by masking: it was allowed). */
  chosen(token: number, logit: number): TokenLogprobs {
    return { token, logprob: logit - this.lse, top: this.top };
  }
}
