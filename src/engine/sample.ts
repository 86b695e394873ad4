import { GemmaError } from "../util/errors.js";

export interface SamplingOptions {
  /** 0 = greedy (argmax, deterministic). */
  readonly temperature: number;
  /** Keep the k most likely tokens (0 = all). */
  readonly topK: number;
  /** Keep the smallest set whose probability reaches p (1 = off). */
  readonly topP: number;
  /** Drop tokens below minP × the top probability (0 = off). */
  readonly minP: number;
  readonly seed: number;
}

/** llama.cpp's defaults (ggml-org/llama.cpp:common/common.h, common_params_sampling). */
export const DEFAULT_SAMPLING: SamplingOptions = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 0 };

export function checkSampling(o: SamplingOptions): void {
  const bad = (what: string) => {
    throw new GemmaError("BAD_SAMPLING", what);
  };
  if (!(o.temperature >= 0) || !Number.isFinite(o.temperature)) bad(`temperature must be >= 0, got ${o.temperature}`);
  if (!Number.isInteger(o.topK) || o.topK < 0) bad(`top-k must be an integer >= 0, got ${o.topK}`);
  if (!(o.topP > 0 && o.topP <= 1)) bad(`top-p must be in (0, 1], got ${o.topP}`);
  if (!(o.minP >= 0 && o.minP <= 1)) bad(`min-p must be in [0, 1], got ${o.minP}`);
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

/**
 * A seeded sampler. The chain runs in llama.cpp's default order: top-k, top-p, min-p (on the untempered
 * distribution), then temperature, then a draw. Buffers are sized once for the vocabulary.
 */
export class Sampler {
  private readonly o: SamplingOptions;
  private readonly ids: Int32Array;
  private readonly probs: Float64Array;
  private state: number;

  constructor(vocabSize: number, options: SamplingOptions) {
    checkSampling(options);
    this.o = options;
    this.ids = new Int32Array(vocabSize);
    this.probs = new Float64Array(vocabSize);
    this.state = options.seed >>> 0 || 0x9e3779b9;
  }

  sample(logits: Float32Array, vocabSize = logits.length): number {
    const o = this.o;
    if (o.temperature === 0) return argmax(logits, vocabSize);
    // candidates sorted by logit, descending; top-k keeps a prefix
    const k = o.topK > 0 ? Math.min(o.topK, vocabSize) : vocabSize;
    const n = topIndices(logits, vocabSize, k, this.ids);
    const ids = this.ids;
    const p = this.probs;
    const max = logits[ids[0]!]!;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += p[i] = Math.exp(logits[ids[i]!]! - max);
    let keep = n;
    if (o.topP < 1) {
      let cum = 0;
      for (let i = 0; i < n; i++) {
        cum += p[i]! / sum;
        if (cum >= o.topP) {
          keep = i + 1;
          break;
        }
      }
    }
    if (o.minP > 0) {
      const floor = o.minP * p[0]!;
      let m = 1;
      while (m < keep && p[m]! >= floor) m++;
      keep = m;
    }
    let total = 0;
    for (let i = 0; i < keep; i++) total += p[i] = Math.exp((logits[ids[i]!]! - max) / o.temperature);
    let r = this.next() * total;
    for (let i = 0; i < keep; i++) {
      r -= p[i]!;
      if (r <= 0) return ids[i]!;
    }
    return ids[keep - 1]!;
  }

  /** mulberry32: a small seeded generator with a 32-bit state; uniform in [0, 1). */
  private next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** Writes the indices of the k largest values, best first, into out; returns k. */
export function topIndices(v: ArrayLike<number>, n: number, k: number, out: Int32Array): number {
  if (k >= n) {
    for (let i = 0; i < n; i++) out[i] = i;
    out.subarray(0, n).sort((a, b) => v[b]! - v[a]! || a - b);
    return n;
  }
  // insertion into a sorted prefix of length k: O(n·k) worst case, O(n) typical for small k
  let len = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i]!;
    if (len === k && x <= v[out[k - 1]!]!) continue;
    let j = len < k ? len++ : k - 1;
    while (j > 0 && v[out[j - 1]!]! < x) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = i;
  }
  return len;
}
