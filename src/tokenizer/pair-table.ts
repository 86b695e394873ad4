/**
 * Hash table from a pair of symbol ids to the merge it allows: the resulting piece and its priority
 * (lower merges first). Open addressing with linear probing over typed arrays, so a lookup in the BPE
 * loop allocates nothing.
 */
export class PairTable {
  private readonly mask: number;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly results: Int32Array;
  private readonly priorities: Float64Array;

  /** `capacity`: the most pairs that will be set. */
  constructor(capacity: number) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.mask = slots - 1;
    this.left = new Int32Array(slots).fill(-1);
    this.right = new Int32Array(slots);
    this.results = new Int32Array(slots);
    this.priorities = new Float64Array(slots);
  }

  /** Adds the pair, or replaces its merge when it is already present. Ids must be >= 0. */
  set(a: number, b: number, result: number, priority: number): void {
    let s = this.home(a, b);
    while (this.left[s] !== -1 && (this.left[s] !== a || this.right[s] !== b)) s = (s + 1) & this.mask;
    this.left[s] = a;
    this.right[s] = b;
    this.results[s] = result;
    this.priorities[s] = priority;
  }

  /** The slot holding the pair, or -1. */
  find(a: number, b: number): number {
    let s = this.home(a, b);
    for (;;) {
      const l = this.left[s]!;
      if (l === -1) return -1;
      if (l === a && this.right[s] === b) return s;
      s = (s + 1) & this.mask;
    }
  }

  result(slot: number): number {
    return this.results[slot]!;
  }

  priority(slot: number): number {
    return this.priorities[slot]!;
  }

  private home(a: number, b: number): number {
    let h = Math.imul(a ^ Math.imul(b, 0x85ebca77), 0x9e3779b1);
    h ^= h >>> 15;
    return h & this.mask;
  }
}
