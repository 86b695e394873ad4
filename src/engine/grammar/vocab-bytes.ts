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

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;
const SPACE_MARK = /\u2581/g;

/**
 * Decodes every token's piece to bytes as the SentencePiece decoder does: control tokens decode to nothing,
 * byte-fallback pieces `<0xNN>` to that byte, every other piece to its UTF-8 with U+2581 as a space.
 */
export function vocabBytes(tok: VocabView, endTokens: readonly number[]): VocabBytes {
  const size = tok.vocabSize;
  for (const t of endTokens) {
    if (!Number.isInteger(t) || t < 0 || t >= size) throw grammarError(`end token ${t} is outside the vocabulary of ${size}`);
  }
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = new Array(size);
  const offsets = new Uint32Array(size + 1);
  let total = 0;
  const none = new Uint8Array(0);
  for (let id = 0; id < size; id++) {
    let bytes = none;
    if (!tok.isControl(id)) {
      const piece = tok.piece(id);
      const m = BYTE_PIECE.exec(piece);
      bytes = m ? Uint8Array.of(parseInt(m[1]!, 16)) : encoder.encode(piece.replace(SPACE_MARK, " "));
    }
    parts[id] = bytes;
    offsets[id] = total;
    total += bytes.length;
  }
  offsets[size] = total;
  const data = new Uint8Array(total);
  for (let id = 0; id < size; id++) data.set(parts[id]!, offsets[id]!);
  return { size, data, offsets, endTokens: [...endTokens], trie: buildTokenTrie(data, offsets) };
}
