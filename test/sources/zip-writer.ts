// A minimal zip writer for tests (PKWARE APPNOTE.TXT 4.3), built on node:zlib, so the zip reader is
// checked against archives it did not produce. It can also write the variations wheels use (data
// descriptors) and the ones the reader must refuse (zip64).
import { crc32, deflateRawSync } from "node:zlib";

export interface ZipInput {
  readonly name: string;
  readonly data: Uint8Array;
  readonly method?: 0 | 8;
  /** Sizes and CRC after the data (flag bit 3), zeros in the local header: what streaming writers emit. */
  readonly dataDescriptor?: boolean;
}

export interface ZipOptions {
  /** Put a zip64 end-of-central-directory locator before the end record. */
  readonly zip64Locator?: boolean;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export function writeZip(inputs: readonly ZipInput[], opts: ZipOptions = {}): Buffer {
  const chunks: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    chunks.push(b);
    offset += b.length;
  };
  for (const input of inputs) {
    const method = input.method ?? 8;
    const payload = method === 8 ? deflateRawSync(input.data) : Buffer.from(input.data);
    const crc = crc32(input.data);
    const name = Buffer.from(input.name, "utf8");
    const flags = (input.dataDescriptor ? 8 : 0) | 0x800;
    const sizes = input.dataDescriptor ? [u32(0), u32(0), u32(0)] : [u32(crc), u32(payload.length), u32(input.data.length)];
    const localOffset = offset;
    push(Buffer.concat([u32(0x04034b50), u16(20), u16(flags), u16(method), u16(0), u16(0x21), ...sizes, u16(name.length), u16(0), name]));
    push(payload);
    if (input.dataDescriptor) push(Buffer.concat([u32(0x08074b50), u32(crc), u32(payload.length), u32(input.data.length)]));
    central.push(
      Buffer.concat([
        u32(0x02014b50), u16(20), u16(20), u16(flags), u16(method), u16(0), u16(0x21),
        u32(crc), u32(payload.length), u32(input.data.length), u16(name.length), u16(0), u16(0), u16(0), u16(0), u32(0),
        u32(localOffset), name,
      ]),
    );
  }
  const cdOffset = offset;
  const cd = Buffer.concat(central);
  push(cd);
  if (opts.zip64Locator) push(Buffer.concat([u32(0x07064b50), u32(0), u32(0), u32(0), u32(1)]));
  push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(inputs.length), u16(inputs.length), u32(cd.length), u32(cdOffset), u16(0)]));
  return Buffer.concat(chunks);
}
