/** A growable little-endian byte buffer for building a GGUF header in memory. */
export class ByteBuilder {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private static readonly encoder = new TextEncoder();

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view: valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  i8(v: number): void {
    this.room(1);
    this.view.setInt8(this.pos++, v);
  }

  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  i16(v: number): void {
    this.room(2);
    this.view.setInt16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    this.room(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  f32(v: number): void {
    this.room(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  u64(v: bigint | number): void {
    this.room(8);
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.room(8);
    this.view.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  /** Raw bytes (typed-array contents are copied as they sit in memory: little-endian hosts). */
  raw(v: ArrayBufferView): void {
    this.room(v.byteLength);
    this.buf.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), this.pos);
    this.pos += v.byteLength;
  }

  /** A GGUF string: u64 byte length, then UTF-8 bytes. */
  string(s: string): void {
    const b = ByteBuilder.encoder.encode(s);
    this.u64(b.length);
    this.raw(b);
  }

  /** Zero bytes up to a multiple of `alignment`. */
  pad(alignment: number): void {
    const n = (alignment - (this.pos % alignment)) % alignment;
    this.room(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
}
