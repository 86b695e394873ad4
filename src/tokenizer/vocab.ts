import { GemmaError } from "../util/errors.js";
import { isPieceType } from "./piece-type.js";

/**
 * How adjacent symbols merge during BPE.
 * - "scores" (SentencePiece, GGUF): two symbols merge when their concatenation is a piece a merge may produce
 *   (isMergeTarget); the highest score goes first.
 * - "ranks" (Hugging Face tokenizer.json): only listed pairs merge; the lowest rank (list position) goes first.
 * Ties go to the leftmost pair in both.
 */
export type MergeRule =
  | { readonly kind: "scores"; readonly scores: Float32Array }
  | {
      readonly kind: "ranks";
      /** Three ids per merge, in rank order: left, right, result. A later duplicate pair replaces an earlier one. */
      readonly merges: Int32Array;
    };

/** Everything a tokenizer is built from, whatever the file format. Ids absent from the file are -1. */
export interface TokenizerVocab {
  /** Names the file in error messages. */
  readonly source: string;
  readonly pieces: readonly string[];
  /** PieceType per id. */
  readonly types: Uint8Array;
  readonly merge: MergeRule;
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  readonly pad: number;
  /** Whether the model expects a BOS at the start of a prompt (encode adds one only when asked). */
  readonly addBos: boolean;
  /** llama.cpp's add_space_prefix: a space before every raw-text fragment. Gemma: false. */
  readonly addSpacePrefix: boolean;
  /**
   * SentencePiece looks for user-defined pieces after turning spaces into ▁ (so its "▁▁" piece matches two
   * spaces); llama.cpp and Hugging Face look in the raw text (GGUF converters store such pieces with spaces).
   */
  readonly matchEscapedText: boolean;
  /** Characters without a piece become `<0xNN>` byte pieces (when all 256 exist) instead of `<unk>`. */
  readonly byteFallback: boolean;
}

/** Rejects vocabularies the tokenizer cannot run on, naming the first problem. */
export function checkVocab(v: TokenizerVocab): void {
  const bad = (what: string) => new GemmaError("TOKENIZER_BAD_VOCAB", `${v.source}: ${what}`);
  const n = v.pieces.length;
  if (n === 0) throw bad("the vocabulary is empty");
  if (v.types.length !== n) throw bad(`${v.types.length} piece types for ${n} pieces`);
  for (let i = 0; i < n; i++) {
    if (typeof v.pieces[i] !== "string") throw bad(`piece ${i} is not a string`);
    if (!isPieceType(v.types[i]!)) throw bad(`piece ${i} ("${v.pieces[i]}") has unknown type ${v.types[i]}`);
  }
  for (const [name, id] of [["bos", v.bos], ["eos", v.eos], ["unk", v.unk], ["pad", v.pad]] as const) {
    if (!Number.isInteger(id) || id < -1 || id >= n) throw bad(`${name} id ${id} is outside the vocabulary (${n} pieces)`);
  }
  if (v.merge.kind === "scores") {
    if (v.merge.scores.length !== n) throw bad(`${v.merge.scores.length} scores for ${n} pieces`);
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(v.merge.scores[i]!)) throw bad(`piece ${i} ("${v.pieces[i]}") has a NaN score`);
    }
  } else {
    const m = v.merge.merges;
    if (m.length % 3 !== 0) throw bad("merge list length is not a multiple of 3");
    for (let i = 0; i < m.length; i++) {
      if (m[i]! < 0 || m[i]! >= n) throw bad(`merge ${Math.floor(i / 3)} refers to id ${m[i]}, outside the vocabulary`);
    }
  }
}
