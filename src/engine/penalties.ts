/**
 * The last N tokens seen (prompt and output alike, as llama.cpp's samplers accept both) and how often each occurs
 * among them, for the repetition, frequency and presence penalties. A ring buffer and a count per vocabulary
 * entry, both sized once.
 */
export class PenaltyWindow {
  private readonly ring: Int32Array;
  private readonly counts: Int32Array;
  private length = 0;
  private head = 0;

  constructor(vocabSize: number, lastN: number) {
    this.ring = new Int32Array(lastN);
    this.counts = new Int32Array(vocabSize);
  }

  /** Records a token; the oldest one leaves the window once it holds lastN. */
  accept(token: number): void {
    const n = this.ring.length;
    if (n === 0) return;
    if (this.length === n) this.counts[this.ring[this.head]!]!--;
    else this.length++;
    this.ring[this.head] = token;
    this.counts[token]!++;
    this.head = (this.head + 1) % n;
  }

  /** Times `token` occurs in the window. */
  count(token: number): number {
    return this.counts[token]!;
  }

  /**
   * Penalizes, in place, the logit of every distinct token in the window, with llama.cpp's formulas
   * (ggml-org/llama.cpp:src/llama-sampler.cpp, llama_sampler_penalties_apply), each step rounded to f32 as there:
   * a logit <= 0 is multiplied by `repeat`, a positive one divided by it; then count·frequency + presence is
   * subtracted (presence once for any count > 0).
   */
  apply(logits: Float32Array, repeat: number, frequency: number, presence: number): void {
    const f = Math.fround;
    const r = f(repeat);
    const fr = f(frequency);
    const pr = f(presence);
    const ring = this.ring;
    const counts = this.counts;
    // a count is negated once its token is done, so that repeats in the ring are skipped; restored below
    for (let i = 0; i < this.length; i++) {
      const t = ring[i]!;
      const c = counts[t]!;
      if (c <= 0) continue;
      const l = logits[t]!;
      const scaled = l <= 0 ? f(l * r) : f(l / r);
      logits[t] = f(scaled - f(f(c * fr) + pr));
      counts[t] = -c;
    }
    for (let i = 0; i < this.length; i++) {
      const t = ring[i]!;
      if (counts[t]! < 0) counts[t] = -counts[t]!;
    }
  }
}
