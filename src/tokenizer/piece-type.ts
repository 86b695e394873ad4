/**
 * Piece types, numbered as SentencePiece's ModelProto.SentencePiece.Type and GGUF's
 * `tokenizer.ggml.token_type` (google/sentencepiece:src/sentencepiece_model.proto,
 * ggml-org/llama.cpp:gguf-py/gguf/constants.py `TokenType`).
 */
export const PieceType = {
  NORMAL: 1,
  /** `<unk>`: emitted for text that has no piece and no byte fallback. */
  UNKNOWN: 2,
  /** `<bos>`, `<eos>`, `<pad>` (and whatever a file marks special): never produced from plain text. */
  CONTROL: 3,
  /** Matched whole in the raw text before BPE (`<start_of_turn>` in SentencePiece files, whitespace runs, HTML tags). */
  USER_DEFINED: 4,
  /** Never emitted: SentencePiece re-splits a merge that lands on one. */
  UNUSED: 5,
  /** `<0xNN>`: one UTF-8 byte, for byte fallback. */
  BYTE: 6,
} as const;

export type PieceType = (typeof PieceType)[keyof typeof PieceType];

export function isPieceType(n: number): n is PieceType {
  return Number.isInteger(n) && n >= PieceType.NORMAL && n <= PieceType.BYTE;
}

/** Pieces a BPE merge may produce, as SentencePiece's `pieces_` map (google/sentencepiece:src/model_interface.cc). */
export function isMergeTarget(t: number): boolean {
  return t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED;
}

/** Pieces that are only parsed from text when the caller asks for special tokens, and decode to "" by default. */
export function isSpecialType(t: number): boolean {
  return t === PieceType.CONTROL || t === PieceType.UNKNOWN;
}
