// Writes SentencePiece ModelProto bytes (google/sentencepiece:src/sentencepiece_model.proto) the way Python
// protobuf serializes them (fields in number order, set fields only), so the Gemma 3 model rebuilt here is
// byte-identical to the one scripts/ref/tokenizer-spm-model.py gave Python sentencepiece.
import { PieceType } from "../../src/tokenizer/index.js";

class ProtoWriter {
  private bytes: number[] = [];

  varint(field: number, v: number): void {
    this.key(field, 0);
    this.raw(v);
  }

  float(field: number, v: number): void {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    this.bytes.push(...b);
  }

  string(field: number, s: string): void {
    this.lengthDelimited(field, new TextEncoder().encode(s));
  }

  lengthDelimited(field: number, b: Uint8Array): void {
    this.key(field, 2);
    this.raw(b.length);
    for (const x of b) this.bytes.push(x);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  private key(field: number, wireType: number): void {
    this.raw(field * 8 + wireType);
  }

  /** Non-negative values only (a negative int32 would need its ten-byte sign extension). */
  private raw(v: number): void {
    while (v > 0x7f) {
      this.bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    this.bytes.push(v);
  }
}

export interface SpmPiece {
  readonly piece: string;
  readonly score: number;
  readonly type: number;
}

/** Gemma's trainer and normalizer specs, as tokenizer-spm-model.py sets them. */
export function writeGemmaSpmModel(pieces: readonly SpmPiece[]): Uint8Array {
  const model = new ProtoWriter();
  for (const p of pieces) {
    const w = new ProtoWriter();
    w.string(1, p.piece);
    w.float(2, p.score);
    if (p.type !== PieceType.NORMAL) w.varint(3, p.type);
    model.lengthDelimited(1, w.finish());
  }
  const t = new ProtoWriter();
  t.varint(3, 2); // model_type BPE
  t.varint(4, pieces.length); // vocab_size
  t.varint(21, 1); // split_by_unicode_script
  t.varint(22, 1); // split_by_whitespace
  t.varint(23, 1); // split_by_number
  t.varint(24, 0); // treat_whitespace_as_suffix
  t.varint(25, 1); // split_digits
  t.varint(26, 1); // allow_whitespace_only_pieces
  t.varint(35, 1); // byte_fallback
  t.varint(40, 3); // unk_id
  t.varint(41, 2); // bos_id
  t.varint(42, 1); // eos_id
  t.varint(43, 0); // pad_id
  t.string(45, "<unk>");
  t.string(46, "<bos>");
  t.string(47, "<eos>");
  t.string(48, "<pad>");
  model.lengthDelimited(2, t.finish());
  const n = new ProtoWriter();
  n.string(1, "identity");
  n.varint(3, 0); // add_dummy_prefix
  n.varint(4, 0); // remove_extra_whitespaces
  n.varint(5, 1); // escape_whitespaces
  model.lengthDelimited(3, n.finish());
  return model.finish();
}

/** The Gemma 3 pieces by tokenizer-spm-model.py's rules, from a parsed tokenizer.json. */
export function gemma3SpmPieces(tokenizerJson: unknown): SpmPiece[] {
  const j = tokenizerJson as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
  const pieces: string[] = [];
  for (const [piece, id] of Object.entries(j.model.vocab)) pieces[id] = piece;
  const added = new Set(j.added_tokens.map((a) => a.id));
  let normal = 0;
  return pieces.map((piece, id) => {
    if (id <= 2) return { piece, score: 0, type: PieceType.CONTROL };
    if (id === 3) return { piece, score: 0, type: PieceType.UNKNOWN };
    if (added.has(id)) return { piece, score: 0, type: PieceType.USER_DEFINED };
    if (/^<0x[0-9A-F]{2}>$/.test(piece)) return { piece, score: 0, type: PieceType.BYTE };
    const rank = normal++;
    return { piece, score: rank === 0 ? 0 : -rank, type: PieceType.NORMAL };
  });
}
