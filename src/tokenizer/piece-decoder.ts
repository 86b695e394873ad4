import { GemmaError } from "../util/errors.js";
import { PieceType, isSpecialType } from "./piece-type.js";

const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/**
 * Ids to text, as the Hugging Face Gemma decoder (Replace "▁"→" ", ByteFallback, Fuse) and SentencePiece's
 * DecodeIds do it: U+2581 becomes a space in every piece, each run of `<0xNN>` pieces becomes bytes decoded as
 * UTF-8 (invalid sequences → U+FFFD, per the WHATWG decoder), no leading space is stripped. Control and unknown
 * pieces decode to "" unless `keepSpecial` asks for their text.
 */
export class PieceDecoder {
  /** Byte value of each BYTE piece, -1 for the others. */
  private readonly byteValues: Int16Array;
  private bytes = new Uint8Array(64);

  constructor(
    private readonly source: string,
    private readonly pieces: readonly string[],
    private readonly types: Uint8Array,
  ) {
    this.byteValues = new Int16Array(pieces.length).fill(-1);
    for (let id = 0; id < pieces.length; id++) {
      if (types[id] !== PieceType.BYTE) continue;
      const m = BYTE_PIECE.exec(pieces[id]!);
      if (m === null) throw new GemmaError("TOKENIZER_BAD_VOCAB", `${source}: byte piece ${id} is "${pieces[id]}", expected <0xNN>`);
      this.byteValues[id] = parseInt(m[1]!, 16);
    }
  }

  decode(ids: ArrayLike<number>, keepSpecial: boolean): string {
    let out = "";
    let nBytes = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = this.check(ids[i]!);
      const b = this.byteValues[id]!;
      if (b >= 0) {
        if (nBytes === this.bytes.length) this.growBytes();
        this.bytes[nBytes++] = b;
        continue;
      }
      if (nBytes > 0) {
        out += utf8(this.bytes.subarray(0, nBytes));
        nBytes = 0;
      }
      out += this.text(id, keepSpecial);
    }
    if (nBytes > 0) out += utf8(this.bytes.subarray(0, nBytes));
    return out;
  }

  /**
   * Text as ids arrive during generation. Bytes of an incomplete UTF-8 character are held back until the
   * character completes (or a non-byte piece or flush() ends the run: then they become U+FFFD, as in decode()),
   * so the pushes and the final flush() concatenate to exactly decode(ids).
   */
  stream(keepSpecial: boolean): { push(id: number): string; flush(): string } {
    const utf8Stream = new TextDecoder("utf-8", { ignoreBOM: true });
    const one = new Uint8Array(1);
    let inRun = false;
    const endRun = (): string => {
      if (!inRun) return "";
      inRun = false;
      return utf8Stream.decode();
    };
    return {
      push: (id: number): string => {
        const b = this.byteValues[this.check(id)]!;
        if (b < 0) return endRun() + this.text(id, keepSpecial);
        inRun = true;
        one[0] = b;
        return utf8Stream.decode(one, { stream: true });
      },
      flush: endRun,
    };
  }

  /** The text of a non-byte piece. */
  text(id: number, keepSpecial: boolean): string {
    if (!keepSpecial && isSpecialType(this.types[id]!)) return "";
    const p = this.pieces[id]!;
    return p.includes("\u2581") ? p.replaceAll("\u2581", " ") : p;
  }

  check(id: number): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.pieces.length) {
      throw new GemmaError("TOKENIZER_BAD_TOKEN_ID", `${this.source}: token id ${id} is outside the vocabulary (0..${this.pieces.length - 1})`);
    }
    return id;
  }

  private growBytes(): void {
    const b = new Uint8Array(this.bytes.length * 2);
    b.set(this.bytes);
    this.bytes = b;
  }
}

const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

function utf8(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}
