import { createReadStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { createInflateRaw } from "node:zlib";
import { GemmaError } from "../../../util/errors.js";
import { crc32 } from "./crc32.js";

/**
 * A reader for the zip archives that Python wheels are: it trusts the central directory (local
 * headers may carry zero sizes when a data descriptor follows the data) and checks each entry's
 * size and CRC-32 while streaming it out. Layout from PKWARE's APPNOTE.TXT (sections 4.3.7, 4.3.12,
 * 4.3.16); zip64 archives (entries of 4 GiB or more) are detected and refused.
 */
export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  /** Offset of the entry's compressed bytes (after its local header). */
  readonly dataOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;

function bad(path: string, message: string): GemmaError {
  return new GemmaError("ARCHIVE_BAD", `${path}: ${message}`);
}

function zip64Refusal(path: string, where: string): GemmaError {
  return bad(path, `zip64 archive (${where}); zip64 is not supported`);
}

async function readAt(handle: FileHandle, offset: number, length: number): Promise<DataView> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buf, 0, length, offset);
  return new DataView(buf.buffer, buf.byteOffset, bytesRead);
}

/** Lists the entries of the zip file at `path`. */
export async function readZipDirectory(path: string): Promise<ZipEntry[]> {
  const handle = await open(path, "r");
  try {
    const fileSize = (await handle.stat()).size;
    if (fileSize < EOCD_SIZE) throw bad(path, `${fileSize} bytes is too small for a zip archive`);
    const tailStart = Math.max(0, fileSize - EOCD_SIZE - MAX_COMMENT);
    const tail = await readAt(handle, tailStart, fileSize - tailStart);
    let eocd = -1;
    for (let i = tail.byteLength - EOCD_SIZE; i >= 0; i--) {
      if (tail.getUint32(i, true) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw bad(path, "no end-of-central-directory record: not a zip archive, or truncated");
    const eocdOffset = tailStart + eocd;
    if (eocd >= 20 && tail.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIGNATURE) throw zip64Refusal(path, `locator at byte ${eocdOffset - 20}`);
    const disk = tail.getUint16(eocd + 4, true);
    const count = tail.getUint16(eocd + 10, true);
    const cdSize = tail.getUint32(eocd + 12, true);
    const cdOffset = tail.getUint32(eocd + 16, true);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw zip64Refusal(path, `end record at byte ${eocdOffset}`);
    if (disk !== 0) throw bad(path, "multi-part (spanned) archives are not supported");
    if (cdOffset + cdSize > eocdOffset) {
      throw bad(path, `central directory (${cdSize} bytes at ${cdOffset}) overlaps the end record at byte ${eocdOffset}`);
    }
    const cd = await readAt(handle, cdOffset, cdSize);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      const at = cdOffset + p;
      if (p + 46 > cd.byteLength || cd.getUint32(p, true) !== CENTRAL_SIGNATURE) throw bad(path, `central directory entry ${i} at byte ${at} is malformed`);
      const flags = cd.getUint16(p + 8, true);
      const method = cd.getUint16(p + 10, true);
      const crc = cd.getUint32(p + 16, true);
      const compressedSize = cd.getUint32(p + 20, true);
      const size = cd.getUint32(p + 24, true);
      const nameLength = cd.getUint16(p + 28, true);
      const extraLength = cd.getUint16(p + 30, true);
      const commentLength = cd.getUint16(p + 32, true);
      const localOffset = cd.getUint32(p + 42, true);
      if (p + 46 + nameLength > cd.byteLength) throw bad(path, `central directory entry ${i} at byte ${at}: name passes the directory end`);
      const name = new TextDecoder().decode(new Uint8Array(cd.buffer, cd.byteOffset + p + 46, nameLength));
      if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw zip64Refusal(path, `entry ${name}`);
      if (flags & 1) throw bad(path, `entry ${name} is encrypted`);
      const local = await readAt(handle, localOffset, 30);
      if (local.byteLength < 30 || local.getUint32(0, true) !== LOCAL_SIGNATURE) throw bad(path, `entry ${name}: no local header at byte ${localOffset}`);
      const dataOffset = localOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
      if (dataOffset + compressedSize > cdOffset) throw bad(path, `entry ${name}: ${compressedSize} bytes at ${dataOffset} pass the central directory at ${cdOffset}`);
      entries.push({ name, method, crc32: crc, compressedSize, size, dataOffset });
      p += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await handle.close();
  }
}

export function findZipEntry(path: string, entries: readonly ZipEntry[], name: string): ZipEntry {
  const entry = entries.find((e) => e.name === name);
  if (!entry) throw bad(path, `no entry ${name} (entries: ${entries.map((e) => e.name).join(", ")})`);
  return entry;
}

/** Streams the uncompressed bytes of `entry` to `sink`, checking their size and CRC-32. */
export async function extractZipEntry(path: string, entry: ZipEntry, sink: (chunk: Uint8Array) => Promise<void>): Promise<void> {
  if (entry.method !== STORED && entry.method !== DEFLATED) throw bad(path, `entry ${entry.name}: compression method ${entry.method} is not supported`);
  const where = `entry ${entry.name}`;
  let crc = 0;
  let done = 0;
  if (entry.compressedSize > 0) {
    const raw = createReadStream(path, { start: entry.dataOffset, end: entry.dataOffset + entry.compressedSize - 1, highWaterMark: 1 << 20 });
    const stream = entry.method === DEFLATED ? raw.pipe(createInflateRaw()) : raw;
    if (stream !== raw) raw.on("error", (e) => stream.destroy(e));
    try {
      for await (const chunk of stream) {
        const bytes = chunk as Buffer;
        done += bytes.length;
        if (done > entry.size) throw bad(path, `${where}: inflates past its recorded size ${entry.size}`);
        crc = crc32(bytes, crc);
        await sink(bytes);
      }
    } catch (e) {
      raw.destroy();
      stream.destroy();
      if (e instanceof GemmaError) throw e;
      throw bad(path, `${where}: compressed data is corrupt (${(e as Error).message})`);
    }
  }
  if (done !== entry.size) throw bad(path, `${where}: ${done} bytes after decompression, the directory records ${entry.size}`);
  if (crc !== entry.crc32) {
    throw bad(path, `${where}: CRC-32 ${crc.toString(16).padStart(8, "0")} does not match the recorded ${entry.crc32.toString(16).padStart(8, "0")}`);
  }
}
