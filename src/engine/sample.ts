import { GemmaError } from "../util/errors.js";
import { sortIds, topIndices } from "./candidate-sort.js";
import { PenaltyWindow } from "./penalties.js";

export { topIndices } from "./candidate-sort.js";

/**
 * How the next token is chosen from the logits. The fields and their neutral values follow llama.cpp's
 * common_params_sampling (ggml-org/llama.cpp:common/common.h); the optional ones default to "off".
 */
export interface SamplingOptions {
  /** Divides the logits before the draw; 0 = greedy (the most likely remaining token, deterministic). */
  readonly temperature: number;
  /** Keep the k most likely tokens (0 = all). */
  readonly topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = off). */
  readonly topP: number;
  /** Drop tokens whose probability is below minP × the top probability (0 = off). */
  readonly minP: number;
  /**
   * Locally typical sampling: keep the tokens whose surprisal is closest to the distribution's entropy until
   * their probability exceeds p (1 = off).
   */
  readonly typicalP?: number;
  /** Repetition penalty on every token among the last repeatLastN (1 = off): positive logits are divided by it, others multiplied. */
  readonly repeatPenalty?: number;
  /** How many of the latest tokens (prompt included) the penalties look at (default 64; 0 = no penalties). */
  readonly repeatLastN?: number;
  /** Subtracted from a token's logit once per occurrence among the last repeatLastN (0 = off). */
  readonly frequencyPenalty?: number;
  /** Subtracted once from the logit of any token that occurs among the last repeatLastN (0 = off). */
  readonly presencePenalty?: number;
  /** Added to the logits of these token ids before anything else; -Infinity bans a token. */
  readonly logitBias?: Readonly<Record<number, number>>;
  /** Seed of the draws: the same seed, options and logits give the same tokens. */
  readonly seed: number;
}

/** llama.cpp's defaults (ggml-org/llama.cpp:common/common.h, common_params_sampling). */
export const DEFAULT_SAMPLING: Required<SamplingOptions> = {
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  typicalP: 1,
  repeatPenalty: 1,
  repeatLastN: 64,
  frequencyPenalty: 0,
  presencePenalty: 0,
  logitBias: {},
  seed: 0,
};

export function checkSampling(o: SamplingOptions): void {
  const bad = (what: string) => {
    throw new GemmaError("BAD_SAMPLING", what);
  };
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) bad(`temperature must be >= 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) bad(`top-k must be an integer >= 0, got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) bad(`top-p must be in (0, 1], got ${o.topP}`);
  if (!(o.minP >= 0 && o.minP <= 1)) bad(`min-p must be in [0, 1], got ${o.minP}`);
  if (o.typicalP !== undefined && !(o.typicalP > 0 && o.typicalP <= 1)) bad(`typical-p must be in (0, 1], got ${o.typicalP}`);
  if (o.repeatPenalty !== undefined && !(o.repeatPenalty > 0 && Number.isFinite(o.repeatPenalty))) {
    bad(`repeat penalty must be a number > 0, got ${o.repeatPenalty}`);
  }
  if (o.repeatLastN !== undefined && !(Number.isInteger(o.repeatLastN) && o.repeatLastN >= 0)) {
    bad(`repeat-last-n must be an integer >= 0, got ${o.repeatLastN}`);
  }
  if (o.frequencyPenalty !== undefined && !Number.isFinite(o.frequencyPenalty)) bad(`frequency penalty must be a finite number, got ${o.frequencyPenalty}`);
  if (o.presencePenalty !== undefined && !Number.isFinite(o.presencePenalty)) bad(`presence penalty must be a finite number, got ${o.presencePenalty}`);
  for (const [id, bias] of Object.entries(o.logitBias ?? {})) {
    if (!/^\d+$/.test(id)) bad(`logit bias keys must be token ids, got "${id}"`);
    if (typeof bias !== "number" || Number.isNaN(bias) || bias === Infinity) bad(`logit bias of token ${id} must be a number or -Infinity, got ${bias}`);
  }
  if (!Number.isInteger(o.seed)) bad(`seed must be an integer, got ${o.seed}`);
}

/** Index of the largest value (the first one on ties, as llama.cpp's greedy sampler). */
export function argmax(logits: ArrayLike<number>, n = logits.length): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = logits[i]!;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** Candidates above which top-p first tries the best ADAPTIVE_TOP_P of them before sorting them all (as llama.cpp). */
const ADAPTIVE_TOP_P_MIN = 1024;
const ADAPTIVE_TOP_P = 256;

/**
 * A seeded sampler running llama.cpp's default chain (ggml-org/llama.cpp:common/sampling.cpp,
 * common_sampler_init, and common/common.h `samplers`), in this order:
 *
 *   logit bias → penalties (repeat, frequency, presence) → top-k → typical-p → top-p → min-p → temperature → draw
 *
 * so top-p, min-p and typical-p see the untempered distribution. Every buffer is sized once for the vocabulary:
 * sampling a token allocates nothing, and the logits passed in are never modified.
 */
export class Sampler {
  /** After distribution(): the remaining candidates, most likely first unless typical-p reordered them. */
  readonly candidateIds: Int32Array;
  /** After distribution(): the probability of each remaining candidate (sums to 1). */
  readonly candidateProbs: Float64Array;
  private readonly o: Required<SamplingOptions>;
  private readonly vocabSize: number;
  private readonly work: Float32Array;
  /** Per token id: a probability or a typical-p score, scratch of one step. */
  private readonly scratch: Float64Array;
  private readonly spare: Int32Array;
  private readonly biasIds: Int32Array;
  private readonly biasValues: Float32Array;
  private readonly window: PenaltyWindow | undefined;
  private state: number;

  constructor(vocabSize: number, options: SamplingOptions) {
    checkSampling(options);
    const o = { ...DEFAULT_SAMPLING, ...options };
    this.o = o;
    this.vocabSize = vocabSize;
    const bias = Object.entries(o.logitBias).map(([id, b]) => [Number(id), b] as const);
    for (const [id] of bias) {
      if (id >= vocabSize) throw new GemmaError("BAD_SAMPLING", `logit bias names token ${id}, outside the vocabulary (0..${vocabSize - 1})`);
    }
    this.biasIds = Int32Array.from(bias, ([id]) => id);
    this.biasValues = Float32Array.from(bias, ([, b]) => b);
    const penalize = o.repeatLastN > 0 && (o.repeatPenalty !== 1 || o.frequencyPenalty !== 0 || o.presencePenalty !== 0);
    this.window = penalize ? new PenaltyWindow(vocabSize, o.repeatLastN) : undefined;
    const adjusts = this.window !== undefined || bias.length > 0;
    this.work = new Float32Array(adjusts ? vocabSize : 0);
    this.candidateIds = new Int32Array(vocabSize);
    this.candidateProbs = new Float64Array(vocabSize);
    this.scratch = new Float64Array(vocabSize);
    this.spare = new Int32Array(ADAPTIVE_TOP_P);
    this.state = o.seed >>> 0 || 0x9e3779b9;
  }

  /** Records a token the penalties should see (every prompt token and every generated one, in order). */
  accept(token: number): void {
    this.window?.accept(token);
  }

  /** Draws the next token from `logits` (the first `vocabSize` entries) without modifying them. */
  sample(logits: Float32Array, vocabSize = logits.length): number {
    const o = this.o;
    if (o.temperature === 0 && this.work.length === 0 && o.typicalP >= 1) return argmax(logits, vocabSize);
    const count = this.distribution(logits, vocabSize);
    const r = this.next();
    let cum = 0;
    for (let i = 0; i < count; i++) {
      cum += this.candidateProbs[i]!;
      if (cum > r) return this.candidateIds[i]!;
    }
    return this.candidateIds[count - 1]!;
  }

  /**
   * Runs the chain up to the draw: returns how many candidates remain; their ids are candidateIds[0..count) and
   * their probabilities (after temperature) candidateProbs[0..count).
   */
  distribution(logits: Float32Array, vocabSize = logits.length): number {
    const o = this.o;
    const n = Math.min(vocabSize, this.vocabSize);
    const src = this.adjusted(logits, n);
    const ids = this.candidateIds;
    let count: number;
    let sorted: boolean;
    if (o.topK > 0) {
      count = topIndices(src, n, o.topK, ids);
      sorted = true;
    } else {
      for (let i = 0; i < n; i++) ids[i] = i;
      count = n;
      sorted = false;
    }
    if (src[sorted ? ids[0]! : argmax(src, n)]! === -Infinity) {
      throw new GemmaError("BAD_SAMPLING", "every token has a logit of -Infinity (all banned by the logit bias or a constraint)");
    }
    const identity = !sorted;
    if (o.typicalP < 1) {
      count = this.typical(src, count);
      sorted = false;
    }
    if (o.topP < 1) {
      count = this.topP(src, count, sorted, identity && o.typicalP >= 1);
      sorted = true;
    }
    if (o.minP > 0) count = this.minP(src, count, sorted);
    return this.temperature(src, count);
  }

  /** The logits after the logit bias and the penalties: `logits` itself when neither applies. */
  private adjusted(logits: Float32Array, n: number): Float32Array {
    if (this.work.length === 0) return logits;
    const w = this.work;
    w.set(logits.length === n ? logits : logits.subarray(0, n));
    for (let i = 0; i < this.biasIds.length; i++) w[this.biasIds[i]!]! += this.biasValues[i]!;
    this.window?.apply(w, this.o.repeatPenalty, this.o.frequencyPenalty, this.o.presencePenalty);
    return w;
  }

  /** Writes softmax(src) over the candidates into scratch[id]. */
  private softmax(src: Float32Array, count: number): void {
    const ids = this.candidateIds;
    const p = this.scratch;
    let max = -Infinity;
    for (let i = 0; i < count; i++) max = Math.max(max, src[ids[i]!]!);
    let sum = 0;
    for (let i = 0; i < count; i++) sum += p[ids[i]!] = Math.exp(src[ids[i]!]! - max);
    for (let i = 0; i < count; i++) p[ids[i]!]! /= sum;
  }

  /**
   * Locally typical sampling (ggml-org/llama.cpp:src/llama-sampler.cpp, llama_sampler_typical_apply): order the
   * candidates by |−log p − H| (H the entropy), keep them until their probability exceeds typicalP.
   */
  private typical(src: Float32Array, count: number): number {
    const ids = this.candidateIds;
    const p = this.scratch;
    this.softmax(src, count);
    let entropy = 0;
    for (let i = 0; i < count; i++) {
      const q = p[ids[i]!]!;
      if (q > 0) entropy -= q * Math.log(q);
    }
    // scratch turns from probabilities into scores (higher = more typical); keep the probabilities in candidateProbs
    const probs = this.candidateProbs;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      const q = p[id]!;
      probs[id] = q;
      p[id] = q > 0 ? -Math.abs(-Math.log(q) - entropy) : -Infinity;
    }
    sortIds(ids, count, p);
    let cum = 0;
    for (let i = 0; i < count; i++) {
      cum += probs[ids[i]!]!;
      if (cum > this.o.typicalP) return i + 1;
    }
    return count;
  }

  /**
   * Top-p (llama_sampler_top_p_apply): the most likely candidates until their probability reaches topP. Over a
   * whole vocabulary it first sorts only the best 256 and sorts everything only if those do not reach topP.
   */
  private topP(src: Float32Array, count: number, sorted: boolean, identity: boolean): number {
    const ids = this.candidateIds;
    const p = this.scratch;
    this.softmax(src, count);
    if (!sorted && identity && count > ADAPTIVE_TOP_P_MIN) {
      const best = this.spare;
      const m = topIndices(src, count, ADAPTIVE_TOP_P, best);
      let cum = 0;
      for (let i = 0; i < m; i++) {
        cum += p[best[i]!]!;
        if (cum >= this.o.topP) {
          for (let j = 0; j <= i; j++) ids[j] = best[j]!;
          return i + 1;
        }
      }
    }
    if (!sorted) sortIds(ids, count, src);
    let cum = 0;
    for (let i = 0; i < count; i++) {
      cum += p[ids[i]!]!;
      if (cum >= this.o.topP) return i + 1;
    }
    return count;
  }

  /** Min-p (llama_sampler_min_p_apply): keep logits >= max + log(minP), i.e. p >= minP · p_max. */
  private minP(src: Float32Array, count: number, sorted: boolean): number {
    const ids = this.candidateIds;
    let max = -Infinity;
    for (let i = 0; i < count; i++) max = Math.max(max, src[ids[i]!]!);
    const floor = Math.fround(max + Math.fround(Math.log(this.o.minP)));
    if (sorted) {
      let m = 1;
      while (m < count && src[ids[m]!]! >= floor) m++;
      return m;
    }
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      if (src[id]! >= floor) ids[kept++] = id;
    }
    return kept;
  }

  /** Temperature, then the final probabilities; temperature 0 keeps only the best candidate. */
  private temperature(src: Float32Array, count: number): number {
    const ids = this.candidateIds;
    const probs = this.candidateProbs;
    const t = this.o.temperature;
    let best = 0;
    for (let i = 1; i < count; i++) {
      const a = src[ids[i]!]!;
      const b = src[ids[best]!]!;
      if (a > b || (a === b && ids[i]! < ids[best]!)) best = i;
    }
    if (t === 0) {
      ids[0] = ids[best]!;
      probs[0] = 1;
      return 1;
    }
    const max = src[ids[best]!]!;
    let sum = 0;
    for (let i = 0; i < count; i++) sum += probs[i] = Math.exp((src[ids[i]!]! - max) / t);
    for (let i = 0; i < count; i++) probs[i]! /= sum;
    return count;
  }

  /** mulberry32: a small seeded generator with a 32-bit state; uniform in [0, 1). */
  private next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
