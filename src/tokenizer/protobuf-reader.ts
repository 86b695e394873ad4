import { GemmaError } from "../util/errors.js";

/** Protocol-buffer wire types (protobuf.dev/programming-guides/encoding). */
const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

/**
 * Minimal reader for protocol-buffer messages: walks the fields of one message and decodes the scalar kinds a
 * SentencePiece model uses. Every malformed or truncated input throws TOKENIZER_BAD_MODEL_PROTO with the byte
 * offset.
 */
export class ProtobufReader {
  private pos: number;
  private readonly view: DataView;
  /** Field number and wire type of the field next() just read. */
  field = 0;
  wireType = 0;

  constructor(
    private readonly source: string,
    private readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Reads the next field key; false at the end of the message. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    const key = this.varint();
    this.field = Math.floor(key / 8);
    this.wireType = key % 8;
    if (this.field === 0) throw this.fail(at, "field number 0");
    return true;
  }

  /**
   * A varint of up to 64 bits as a JS number: exact up to 2^53, and negative for a sign-extended value that
   * fits 32 bits (how int32 fields store negative numbers).
   */
  varint(): number {
    const at = this.pos;
    let low = 0; // bits 0..31
    let high = 0; // bits 32..63
    for (let i = 0; ; i++) {
      if (i === 10) throw this.fail(at, "varint longer than 10 bytes");
      if (this.pos >= this.end) throw this.fail(at, "truncated varint");
      const b = this.bytes[this.pos++]! & 0x7f;
      if (i < 4) low |= b << (7 * i);
      else if (i === 4) {
        low |= b << 28;
        high = b >> 4;
      } else high |= b << (7 * i - 32);
      if ((this.bytes[this.pos - 1]! & 0x80) === 0) break;
    }
    if (high === 0) return low >>> 0;
    if (high === -1) return low | 0;
    return (high >>> 0) * 4294967296 + (low >>> 0);
  }

  int32(): number {
    this.expect(WireType.VARINT);
    return this.varint() | 0;
  }

  bool(): boolean {
    this.expect(WireType.VARINT);
    return this.varint() !== 0;
  }

  float(): number {
    this.expect(WireType.I32);
    const at = this.take(4);
    return this.view.getFloat32(at, true);
  }

  /** The bytes of a length-delimited field (a string, bytes or an embedded message). */
  bytesField(): Uint8Array {
    this.expect(WireType.LEN);
    const len = this.length();
    return this.bytes.subarray(this.take(len), this.pos);
  }

  string(): string {
    const at = this.pos;
    try {
      return utf8.decode(this.bytesField());
    } catch {
      throw this.fail(at, `field ${this.field}: invalid UTF-8`);
    }
  }

  /** A reader over the embedded message in the current (length-delimited) field. */
  message(): ProtobufReader {
    this.expect(WireType.LEN);
    const len = this.length();
    const start = this.take(len);
    return new ProtobufReader(this.source, this.bytes, start, start + len);
  }

  skip(): void {
    const at = this.pos;
    switch (this.wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.I64:
        this.take(8);
        return;
      case WireType.LEN:
        this.take(this.length());
        return;
      case WireType.I32:
        this.take(4);
        return;
      default:
        throw this.fail(at, `field ${this.field} has unsupported wire type ${this.wireType}`);
    }
  }

  private length(): number {
    const at = this.pos;
    const len = this.varint();
    if (len < 0 || len > this.end - this.pos) throw this.fail(at, `field ${this.field}: length ${len} passes the end of the message`);
    return len;
  }

  /** Advances by n bytes; returns where they start. */
  private take(n: number): number {
    const at = this.pos;
    if (n > this.end - at) throw this.fail(at, `field ${this.field}: ${n} bytes pass the end of the message`);
    this.pos += n;
    return at;
  }

  private expect(wireType: number): void {
    if (this.wireType !== wireType) {
      throw this.fail(this.pos, `field ${this.field} has wire type ${this.wireType}, expected ${wireType}`);
    }
  }

  fail(at: number, what: string): GemmaError {
    return new GemmaError("TOKENIZER_BAD_MODEL_PROTO", `${this.source}: ${what} at byte offset ${at}`);
  }
}

// ignoreBOM keeps a leading U+FEFF: Gemma has a piece "\ufeff//" besides "//".
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
