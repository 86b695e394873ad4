/** Multiplier of the polynomial hash over code points (odd, so multiplication is invertible mod 2^32). */
const P = 0x9e3779b1;

/**
 * The mergeable pieces of a vocabulary, found by the polynomial hash of their code points
 * (h(xy) = h(x)·P^|y| + h(y) mod 2^32), so the BPE loop can ask "is symbol l followed by symbol r a piece?"
 * from the two symbols' hashes and lengths without building the concatenated string. The hash of a single
 * code point is the code point. Matches are confirmed by
 * comparing code points. Building it hashes each piece once.
 */
export class PieceHashTable {
  /** P^k mod 2^32 for k = 0..maxLength. */
  readonly powers: Int32Array;
  /** Longest piece, in code points: longer concatenations are not looked up. */
  readonly maxLength: number;
  private readonly mask: number;
  private readonly slotHash: Int32Array;
  private readonly slotId: Int32Array;
  /** Code points of every stored piece, back to back; piece id → [start, end) in `codePoints`. */
  private readonly codePoints: Int32Array;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  /**
   * Stores pieces[id] for every id that `keep` accepts. A repeated piece resolves to its last id (as llama.cpp's
   * token_to_id): ids are inserted from the highest down, and a lookup returns the first one inserted.
   */
  constructor(pieces: readonly string[], keep: (id: number) => boolean) {
    let total = 0;
    let count = 0;
    for (let id = 0; id < pieces.length; id++) {
      if (keep(id)) {
        total += pieces[id]!.length;
        count++;
      }
    }
    // At most a quarter full: most lookups are misses, and those usually stop at the first empty slot.
    let slots = 16;
    while (slots < count * 4) slots *= 2;
    this.mask = slots - 1;
    this.slotHash = new Int32Array(slots);
    this.slotId = new Int32Array(slots).fill(-1);
    this.codePoints = new Int32Array(total);
    this.starts = new Int32Array(pieces.length);
    this.ends = new Int32Array(pieces.length);
    let at = 0;
    let maxLength = 1;
    for (let id = pieces.length - 1; id >= 0; id--) {
      if (!keep(id)) continue;
      const p = pieces[id]!;
      const start = at;
      let h = 0;
      for (let i = 0; i < p.length; i++) {
        const cp = p.codePointAt(i)!;
        if (cp > 0xffff) i++;
        this.codePoints[at++] = cp;
        h = (Math.imul(h, P) + cp) | 0;
      }
      this.starts[id] = start;
      this.ends[id] = at;
      maxLength = Math.max(maxLength, at - start);
      let s = this.home(h);
      while (this.slotId[s] !== -1) s = (s + 1) & this.mask;
      this.slotHash[s] = h;
      this.slotId[s] = id;
    }
    this.maxLength = maxLength;
    this.powers = new Int32Array(maxLength + 1);
    this.powers[0] = 1;
    for (let k = 1; k <= maxLength; k++) this.powers[k] = Math.imul(this.powers[k - 1]!, P);
  }

  /** Hash of x followed by y, from their hashes and y's length in code points. */
  concat(hx: number, hy: number, yLength: number): number {
    return (Math.imul(hx, this.powers[yLength]!) + hy) | 0;
  }

  /** Id of the stored piece spelling cps[start, start + length) (whose hash is h), or -1. */
  find(h: number, cps: Int32Array, start: number, length: number): number {
    for (let s = this.home(h); ; s = (s + 1) & this.mask) {
      const id = this.slotId[s]!;
      if (id === -1) return -1;
      if (this.slotHash[s] === h && this.spells(id, cps, start, length)) return id;
    }
  }

  private spells(id: number, cps: Int32Array, start: number, length: number): boolean {
    const from = this.starts[id]!;
    if (this.ends[id]! - from !== length) return false;
    for (let i = 0; i < length; i++) if (this.codePoints[from + i] !== cps[start + i]) return false;
    return true;
  }

  private home(h: number): number {
    let x = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    x ^= x >>> 13;
    return x & this.mask;
  }
}
