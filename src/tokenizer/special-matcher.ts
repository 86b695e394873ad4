/**
 * Finds whole special/user-defined pieces in raw text, leftmost first and the longest at that position, as
 * SentencePiece's prefix matcher and Hugging Face's added-token splitter (leftmost-longest) do. A trie over
 * UTF-16 code units: one map probe per character that starts no piece.
 */
export class SpecialMatcher {
  /** Child of (node, code unit), keyed node * 65536 + unit. Node 0 is the root. */
  private readonly children = new Map<number, number>();
  /** Piece id ending at each node, or -1. */
  private readonly ends: number[] = [-1];
  /** After a successful find(): the matched piece id and the index just past the match. */
  matchId = -1;
  matchEnd = -1;

  /** `pieces`: [text, id]; empty texts are ignored, a repeated text keeps the last id. */
  constructor(pieces: Iterable<readonly [string, number]>) {
    for (const [text, id] of pieces) {
      if (text.length === 0) continue;
      let node = 0;
      for (let i = 0; i < text.length; i++) {
        const key = node * 65536 + text.charCodeAt(i);
        let child = this.children.get(key);
        if (child === undefined) {
          child = this.ends.length;
          this.ends.push(-1);
          this.children.set(key, child);
        }
        node = child;
      }
      this.ends[node] = id;
    }
  }

  get empty(): boolean {
    return this.ends.length === 1;
  }

  /** Where the first match at or after `from` starts (setting matchId and matchEnd), or -1. */
  find(text: string, from: number): number {
    for (let start = from; start < text.length; start++) {
      let node = 0;
      let bestEnd = -1;
      let bestId = -1;
      for (let i = start; i < text.length; i++) {
        const child = this.children.get(node * 65536 + text.charCodeAt(i));
        if (child === undefined) break;
        node = child;
        const id = this.ends[node]!;
        if (id >= 0) {
          bestEnd = i + 1;
          bestId = id;
        }
      }
      if (bestEnd >= 0) {
        this.matchId = bestId;
        this.matchEnd = bestEnd;
        return start;
      }
    }
    return -1;
  }
}
