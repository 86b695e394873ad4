import { GemmaError } from "../util/errors.js";
import { MergeQueue } from "./merge-queue.js";
import { PairTable } from "./pair-table.js";
import { PieceHashTable } from "./piece-hash-table.js";
import { PieceType, isMergeTarget } from "./piece-type.js";
import type { TokenizerVocab } from "./vocab.js";

const SPACE = 0x20;
/** U+2581 LOWER ONE EIGHTH BLOCK: SentencePiece's visible space. */
const META_SPACE = 0x2581;
const REPLACEMENT = 0xfffd;

/**
 * Byte-pair encoding of one raw-text fragment (no special pieces inside), as SentencePiece's BPE model and
 * llama.cpp's `llm_tokenizer_spm_session` do it (google/sentencepiece:src/bpe_model.cc,
 * ggml-org/llama.cpp:src/llama-vocab.cpp): spaces become U+2581, every code point starts as one symbol of a
 * doubly linked list, candidate pairs wait in a priority queue, and the best one merges until none is left;
 * then each symbol is its piece, or its UTF-8 bytes as `<0xNN>` pieces (byte fallback), or `<unk>`.
 * Each merge queues at most two new candidates, so a fragment of n code points costs O(n log n) whatever its
 * shape (100 KB without a space, one character repeated).
 *
 * Symbol k starts at code point k and spans lens[k] code points; its id is the piece it spells, or -(cp + 1)
 * for a code point that is no piece. Whether two symbols merge:
 * - score rule: their concatenation is a mergeable piece, found by its hash (PieceHashTable) without building
 *   a string; priority: the piece's score.
 * - rank rule: the pair of ids is in the merge list (PairTable); priority: its rank.
 */
export class BpeEncoder {
  private readonly nPieces: number;
  private readonly types: Uint8Array;
  private readonly scored: { readonly table: PieceHashTable; readonly scores: Float32Array } | null;
  private readonly ranked: PairTable | null;
  /** Piece id of each single-code-point piece: BMP in a table, the rest in a map. */
  private readonly bmpPiece = new Int32Array(0x10000).fill(-1);
  private readonly astralPiece = new Map<number, number>();
  /** Piece id of `<0xNN>` per byte, or null when byte fallback is off or a byte piece is missing. */
  private readonly byteIds: Int32Array | null;
  private readonly unk: number;
  /** SentencePiece re-splits merges into UNUSED pieces; only vocabularies with such pieces pay for tracking. */
  private readonly hasUnused: boolean;
  private readonly unusedHalves = new Map<number, readonly [number, number]>();

  // Scratch reused across calls (grown on demand): code points and the symbol list.
  private cps = new Int32Array(256);
  private ids = new Int32Array(256);
  private lens = new Int32Array(256);
  private hashes = new Int32Array(256);
  private prev = new Int32Array(256);
  private next = new Int32Array(256);
  private readonly queue = new MergeQueue();

  constructor(vocab: TokenizerVocab, pieceIds: ReadonlyMap<string, number>) {
    this.nPieces = vocab.pieces.length;
    this.types = vocab.types;
    this.unk = vocab.unk;
    this.hasUnused = vocab.types.includes(PieceType.UNUSED);
    // A repeated piece resolves to its last id, as in `pieceIds`.
    for (let id = 0; id < this.nPieces; id++) {
      const p = vocab.pieces[id]!;
      const cp = p.codePointAt(0);
      if (cp === undefined || p.length !== (cp > 0xffff ? 2 : 1)) continue;
      if (cp < 0x10000) this.bmpPiece[cp] = id;
      else this.astralPiece.set(cp, id);
    }
    this.byteIds = vocab.byteFallback ? byteFallbackIds(pieceIds) : null;
    if (this.byteIds === null && this.unk < 0) {
      throw new GemmaError("TOKENIZER_BAD_VOCAB", `${vocab.source}: no <unk> piece and no complete set of <0xNN> byte pieces, so text outside the vocabulary cannot be encoded`);
    }
    if (vocab.merge.kind === "scores") {
      const types = vocab.types;
      this.scored = { table: new PieceHashTable(vocab.pieces, (id) => isMergeTarget(types[id]!)), scores: vocab.merge.scores };
      this.ranked = null;
    } else {
      this.scored = null;
      this.ranked = pairsFromRanks(vocab.merge.merges);
    }
  }

  /**
   * Appends the ids of text[start, end) to `out`. `prefixSpace` adds one U+2581 in front (llama.cpp's
   * add_space_prefix). A lone surrogate counts as U+FFFD, as UTF-8 encoding would make it.
   */
  encode(text: string, start: number, end: number, prefixSpace: boolean, out: number[]): void {
    this.reserve(end - start + 1);
    const { cps, ids, lens, hashes, prev, next, queue } = this;
    let n = 0;
    if (prefixSpace) cps[n++] = META_SPACE;
    for (let i = start; i < end; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const lo = i + 1 < end ? text.charCodeAt(i + 1) : 0;
        if (cp <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        } else {
          cp = REPLACEMENT;
        }
      }
      cps[n++] = cp === SPACE ? META_SPACE : cp;
    }
    if (n === 0) return;

    for (let k = 0; k < n; k++) {
      const cp = cps[k]!;
      const id = cp < 0x10000 ? this.bmpPiece[cp]! : (this.astralPiece.get(cp) ?? -1);
      ids[k] = id >= 0 ? id : -(cp + 1);
      lens[k] = 1;
      hashes[k] = cp;
      prev[k] = k - 1;
      next[k] = k + 1;
    }
    next[n - 1] = -1;
    queue.clear();
    if (this.hasUnused) this.unusedHalves.clear();
    for (let k = 1; k < n; k++) this.offer(k - 1, k);

    while (queue.size > 0) {
      queue.pop();
      const l = queue.topLeft;
      const r = queue.topRight;
      // Stale when either side has merged since: a live symbol only grows by absorbing its right neighbour.
      if (lens[l] === 0 || lens[r] === 0 || lens[l]! + lens[r]! !== queue.topSpan) continue;
      if (this.scored !== null) hashes[l] = this.scored.table.concat(hashes[l]!, hashes[r]!, lens[r]!);
      lens[l] = queue.topSpan;
      lens[r] = 0;
      ids[l] = queue.topResult;
      const after = next[r]!;
      next[l] = after;
      if (after >= 0) prev[after] = l;
      if (prev[l]! >= 0) this.offer(prev[l]!, l);
      if (after >= 0) this.offer(l, after);
    }

    for (let k = 0; k !== -1; k = next[k]!) this.emit(ids[k]!, out);
  }

  /** Queues the merge of adjacent symbols l and r, if they merge. */
  private offer(l: number, r: number): void {
    const span = this.lens[l]! + this.lens[r]!;
    let result: number;
    let priority: number;
    if (this.scored !== null) {
      const { table, scores } = this.scored;
      if (span > table.maxLength) return;
      result = table.find(table.concat(this.hashes[l]!, this.hashes[r]!, this.lens[r]!), this.cps, l, span);
      if (result < 0) return;
      priority = -scores[result]!;
    } else {
      const slot = this.ids[l]! < 0 || this.ids[r]! < 0 ? -1 : this.ranked!.find(this.ids[l]!, this.ids[r]!);
      if (slot < 0) return;
      result = this.ranked!.result(slot);
      priority = this.ranked!.priority(slot);
    }
    this.queue.push(priority, l, r, span, result);
    // SentencePiece remembers the last pair offered for each UNUSED result, to re-split it on output.
    if (this.hasUnused && this.types[result] === PieceType.UNUSED) this.unusedHalves.set(result, [this.ids[l]!, this.ids[r]!]);
  }

  /**
   * Emits a symbol id: its piece, the halves of a re-split UNUSED merge (depth-first, left first; halves are
   * shorter than the piece, so this ends), or a code point's byte fallback.
   */
  private emit(id: number, out: number[]): void {
    if (!this.hasUnused || id < 0 || this.types[id] !== PieceType.UNUSED) {
      this.emitPlain(id, out);
      return;
    }
    const pending = [id];
    while (pending.length > 0) {
      const s = pending.pop()!;
      const halves = s >= 0 && this.types[s] === PieceType.UNUSED ? this.unusedHalves.get(s) : undefined;
      if (halves === undefined) this.emitPlain(s, out);
      else pending.push(halves[1], halves[0]);
    }
  }

  private emitPlain(id: number, out: number[]): void {
    if (id >= 0) out.push(id);
    else this.emitBytes(-id - 1, out);
  }

  /** Byte fallback for a code point without a piece: its UTF-8 bytes as `<0xNN>` pieces, else `<unk>`. */
  private emitBytes(cp: number, out: number[]): void {
    const bytes = this.byteIds;
    if (bytes === null) {
      out.push(this.unk);
    } else if (cp < 0x80) {
      out.push(bytes[cp]!);
    } else if (cp < 0x800) {
      out.push(bytes[0xc0 | (cp >> 6)]!, bytes[0x80 | (cp & 0x3f)]!);
    } else if (cp < 0x10000) {
      out.push(bytes[0xe0 | (cp >> 12)]!, bytes[0x80 | ((cp >> 6) & 0x3f)]!, bytes[0x80 | (cp & 0x3f)]!);
    } else {
      out.push(bytes[0xf0 | (cp >> 18)]!, bytes[0x80 | ((cp >> 12) & 0x3f)]!, bytes[0x80 | ((cp >> 6) & 0x3f)]!, bytes[0x80 | (cp & 0x3f)]!);
    }
  }

  private reserve(n: number): void {
    if (this.cps.length >= n) return;
    let cap = this.cps.length;
    while (cap < n) cap *= 2;
    this.cps = new Int32Array(cap);
    this.ids = new Int32Array(cap);
    this.lens = new Int32Array(cap);
    this.hashes = new Int32Array(cap);
    this.prev = new Int32Array(cap);
    this.next = new Int32Array(cap);
  }
}

/** Hugging Face rule: each listed pair merges, with its list position as priority. */
function pairsFromRanks(merges: Int32Array): PairTable {
  const table = new PairTable(merges.length / 3);
  for (let i = 0; i < merges.length; i += 3) table.set(merges[i]!, merges[i + 1]!, merges[i + 2]!, i / 3);
  return table;
}

/** Ids of `<0x00>`..`<0xFF>`, looked up by string; null unless all 256 exist. */
function byteFallbackIds(pieceIds: ReadonlyMap<string, number>): Int32Array | null {
  const ids = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    const id = pieceIds.get(bytePieceName(b));
    if (id === undefined) return null;
    ids[b] = id;
  }
  return ids;
}

export function bytePieceName(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`;
}
