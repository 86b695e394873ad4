/**
 * Min-heap of merge candidates ordered by (priority, left symbol index): the best merge first, ties to the
 * leftmost pair, as llama.cpp's `llm_bigram_spm` comparator, SentencePiece's agenda and Hugging Face's
 * `Merge` ordering all do. Parallel typed arrays, grown by doubling and reused across calls.
 */
export class MergeQueue {
  private prio = new Float64Array(64);
  private left = new Int32Array(64);
  private right = new Int32Array(64);
  private span = new Int32Array(64);
  private result = new Int32Array(64);
  private n = 0;

  /** Fields of the entry the last pop() removed. */
  topLeft = 0;
  topRight = 0;
  topSpan = 0;
  topResult = 0;

  get size(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  /** `span`: the code points the two symbols covered when the candidate was made (to detect stale entries). */
  push(priority: number, left: number, right: number, span: number, result: number): void {
    if (this.n === this.prio.length) this.grow();
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(priority, left, p)) break;
      this.move(p, i);
      i = p;
    }
    this.prio[i] = priority;
    this.left[i] = left;
    this.right[i] = right;
    this.span[i] = span;
    this.result[i] = result;
  }

  /** Removes the best entry into the top* fields. The queue must not be empty. */
  pop(): void {
    this.topLeft = this.left[0]!;
    this.topRight = this.right[0]!;
    this.topSpan = this.span[0]!;
    this.topResult = this.result[0]!;
    const last = --this.n;
    if (last === 0) return;
    const priority = this.prio[last]!;
    const left = this.left[last]!;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      if (c + 1 < last && this.before(this.prio[c + 1]!, this.left[c + 1]!, c)) c++;
      if (this.before(priority, left, c)) break;
      this.move(c, i);
      i = c;
    }
    this.move(last, i);
  }

  /** Whether (priority, left) sorts strictly before entry j. */
  private before(priority: number, left: number, j: number): boolean {
    const pj = this.prio[j]!;
    return priority < pj || (priority === pj && left < this.left[j]!);
  }

  private move(from: number, to: number): void {
    this.prio[to] = this.prio[from]!;
    this.left[to] = this.left[from]!;
    this.right[to] = this.right[from]!;
    this.span[to] = this.span[from]!;
    this.result[to] = this.result[from]!;
  }

  private grow(): void {
    const cap = this.prio.length * 2;
    const f = new Float64Array(cap);
    f.set(this.prio);
    this.prio = f;
    for (const k of ["left", "right", "span", "result"] as const) {
      const a = new Int32Array(cap);
      a.set(this[k]);
      this[k] = a;
    }
  }
}
