import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";
import { SHORT_UTF8_BYTES, decodeShortUtf8 } from "./utf8.js";

/**
 * Read-ahead per refill: it starts small so a small header costs little beyond itself (over HTTP
 * ranges too) and doubles up to a cap so a 262k-token vocab takes a handful of reads.
 */
const FIRST_CHUNK_BYTES = 1 << 16;
const MAX_CHUNK_BYTES = 1 << 20;

const TWO_POW_32 = 2 ** 32;
/** A u64 whose high word reaches this is at least 2^53: no safe JS integer. */
const MAX_SAFE_HIGH_WORD = 2 ** 21;

// ignoreBOM: a leading U+FEFF is part of the value (Gemma has vocab pieces that start with one).
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * A forward-only little-endian reader over a ByteSource that keeps at most about one chunk in
 * memory. Reads are synchronous once `need(n)` has buffered n bytes, so the hot path of a long
 * array awaits only once per chunk. Each source byte is requested at most once.
 */
export class ByteCursor {
  private buf: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buf.buffer);
  /** Absolute offset of buf[0]. */
  private bufStart = 0;
  /** Index of the next unread byte in buf. */
  private pos = 0;
  private chunk = FIRST_CHUNK_BYTES;

  constructor(readonly source: ByteSource) {}

  /** Absolute offset of the next byte. */
  get offset(): number {
    return this.bufStart + this.pos;
  }

  /** Bytes between the cursor and the end of the source. */
  get remaining(): number {
    return this.source.size - this.offset;
  }

  /** Whether `n` bytes are already buffered (lets hot loops skip an await). */
  has(n: number): boolean {
    return this.pos + n <= this.buf.length;
  }

  /** Buffers `n` bytes at the cursor; throws TRUNCATED naming `field + suffix` when the source ends first. */
  async need(n: number, field: string, suffix = ""): Promise<void> {
    if (this.has(n)) return;
    if (n > this.remaining) {
      throw new GemmaError(
        "TRUNCATED",
        `${this.source.name}: ${field}${suffix} at byte offset ${this.offset} needs ${n} bytes but the file ends after ${this.remaining}`,
      );
    }
    const kept = this.buf.length - this.pos;
    const end = this.bufStart + this.buf.length;
    const length = Math.min(Math.max(n - kept, this.chunk), this.source.size - end);
    this.chunk = Math.min(this.chunk * 2, MAX_CHUNK_BYTES);
    const fresh = await this.source.read(end, length);
    let next = fresh;
    if (kept > 0) {
      next = new Uint8Array(kept + fresh.length);
      next.set(this.buf.subarray(this.pos), 0);
      next.set(fresh, kept);
    }
    this.bufStart += this.pos;
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.pos = 0;
  }

  // The readers below assume `need` has buffered their bytes.

  u8(): number {
    return this.buf[this.pos++]!;
  }

  i8(): number {
    return this.view.getInt8(this.pos++);
  }

  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i16(): number {
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f32(): number {
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  u64(): bigint {
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A u64 as a number, or -1 when it is 2^53 or more (callers report it as absurd). */
  u64AsNumber(): number {
    const v = this.peekU64AsNumber();
    this.pos += 8;
    return v;
  }

  /** Copies `n` buffered bytes into `out` at `at`. */
  copyTo(out: Uint8Array, at: number, n: number): void {
    out.set(this.buf.subarray(this.pos, this.pos + n), at);
    this.pos += n;
  }

  /** Decodes `n` buffered bytes as UTF-8; throws GGUF_BAD_STRING naming `field` when they are not. */
  utf8(n: number, field: string): string {
    const start = this.pos;
    this.pos += n;
    const s = n <= SHORT_UTF8_BYTES ? decodeShortUtf8(this.buf, start, start + n) : decodeLongUtf8(this.buf.subarray(start, start + n));
    if (s === undefined) {
      throw new GemmaError("GGUF_BAD_STRING", `${this.source.name}: ${field} at byte offset ${this.bufStart + start} is not valid UTF-8`);
    }
    return s;
  }

  /** Reads the u64 at the cursor without consuming it, as u64AsNumber does; needs 8 buffered bytes. */
  peekU64AsNumber(): number {
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    return hi >= MAX_SAFE_HIGH_WORD ? -1 : hi * TWO_POW_32 + lo;
  }
}

function decodeLongUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
