import { grammarError } from "./errors.js";
import { buildTokenTrie, type TokenTrie } from "./token-trie.js";

/** What a constraint needs to know about a vocabulary: the bytes each token decodes to, and its end tokens. */
export interface VocabBytes {
  readonly size: number;
  /** All tokens' bytes back to back; token t is `data.subarray(offsets[t], offsets[t + 1])`. */
  readonly data: Uint8Array;
  readonly offsets: Uint32Array;
  /** Tokens that end generation (EOS, end-of-turn); allowed only where the document is complete. */
  readonly endTokens: readonly number[];
  /** Prefix tree over the tokens' bytes, built once and shared by every constraint on this vocabulary. */
  readonly trie: TokenTrie;
}

/** The part of a tokenizer a constraint reads. */
export interface VocabView {
  readonly vocabSize: number;
  piece(id: number): string;
  isControl(id: number): boolean;
}

const BYTE_PIECE = /^<0x[0-9A-Fa-f]{2}>$/;

/**
 * Decodes every token's piece to bytes as the SentencePiece decoder does: control tokens and the end tokens
 * decode to nothing, byte-fallback pieces `<0xNN>` to that byte, every other piece to its UTF-8 with U+2581
 * as a space. The prefix tree over the bytes is built on first use.
 */
export function vocabBytes(tok: VocabView, endTokens: readonly number[]): VocabBytes {
  const size = tok.vocabSize;
  for (const t of endTokens) {
    if (!Number.isInteger(t) || t < 0 || t >= size) throw grammarError(`end token ${t} is outside the vocabulary of ${size}`);
  }
  const isEnd = new Set(endTokens);
  const encoder = new TextEncoder();
  const offsets = new Uint32Array(size + 1);
  let data = new Uint8Array(1 << 20);
  let total = 0;
  for (let id = 0; id < size; id++) {
    offsets[id] = total;
    if (tok.isControl(id) || isEnd.has(id)) continue;
    const piece = tok.piece(id);
    // a UTF-16 unit takes at most 3 UTF-8 bytes
    if (data.length - total < piece.length * 3) {
      const bigger = new Uint8Array(Math.max(data.length * 2, total + piece.length * 3));
      bigger.set(data.subarray(0, total));
      data = bigger;
    }
    if (piece.length === 6 && BYTE_PIECE.test(piece)) data[total++] = parseInt(piece.slice(3, 5), 16);
    else total += encoder.encodeInto(piece.replaceAll("\u2581", " "), data.subarray(total)).written;
  }
  offsets[size] = total;
  const bytes = data.slice(0, total);
  let trie: TokenTrie | undefined;
  return {
    size,
    data: bytes,
    offsets,
    endTokens: [...endTokens],
    get trie() {
      trie ??= buildTokenTrie(bytes, offsets);
      return trie;
    },
  };
}
