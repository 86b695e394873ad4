import { GemmaError } from "../util/errors.js";
import type { LayerCache } from "./kv-cache.js";

/**
 * The rows of one forward step, grouped by sequence. Segment s holds rows start[s] .. start[s] + length[s] - 1:
 * tokens of one sequence at the consecutive positions pos0[s] .., whose keys and values go to that sequence's
 * cache. The matrix products run over every row at once; attention runs per segment against its own cache.
 * Sized once for the largest batch: filling it allocates nothing.
 */
export class BatchPlan {
  readonly maxBatch: number;
  /** Token id of each row. */
  readonly tokens: Int32Array;
  readonly caches: Array<readonly LayerCache[]>;
  readonly start: Int32Array;
  readonly length: Int32Array;
  readonly pos0: Int32Array;
  /** Segments in use. */
  count = 0;
  /** Rows in use. */
  nTok = 0;

  constructor(maxBatch: number) {
    this.maxBatch = maxBatch;
    this.tokens = new Int32Array(maxBatch);
    this.caches = [];
    this.start = new Int32Array(maxBatch);
    this.length = new Int32Array(maxBatch);
    this.pos0 = new Int32Array(maxBatch);
  }

  /** Empties the plan. */
  clear(): void {
    this.count = 0;
    this.nTok = 0;
  }

  /** Appends tokens[from..to) of the sequence whose cache is `cache`, the first at position `pos0`. */
  add(cache: readonly LayerCache[], pos0: number, tokens: ArrayLike<number>, from: number, to: number): void {
    const n = to - from;
    if (n < 1 || this.nTok + n > this.maxBatch) {
      throw new GemmaError("BAD_PROMPT", `a batch holds 1..${this.maxBatch - this.nTok} more tokens, not ${n}`);
    }
    const s = this.count++;
    this.caches[s] = cache;
    this.start[s] = this.nTok;
    this.length[s] = n;
    this.pos0[s] = pos0;
    for (let i = from; i < to; i++) this.tokens[this.nTok++] = tokens[i]!;
  }
}

/** Throws unless every id of tokens[from..to) is a token of a vocabulary of `vocabSize`. */
export function checkTokenIds(tokens: ArrayLike<number>, vocabSize: number, from = 0, to = tokens.length): void {
  for (let i = from; i < to; i++) {
    const t = tokens[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) throw new GemmaError("BAD_PROMPT", `token id ${t} is outside the vocabulary (0..${vocabSize - 1})`);
  }
}
