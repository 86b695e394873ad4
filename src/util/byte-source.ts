import { GemmaError } from "./errors.js";

/**
 * Random-access read-only bytes: a file, a range-request URL, or memory.
 * Model files can be far larger than one buffer (a 27B GGUF is 16+ GB), so readers
 * ask for the ranges they need instead of loading the whole file.
 */
export interface ByteSource {
  /** A name for error messages (usually the path or URL). */
  readonly name: string;
  /** Total size in bytes (may exceed 2^32; always below 2^53). */
  readonly size: number;
  /** Exactly `length` bytes at `offset`; throws TRUNCATED when the range passes the end. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

export function checkRange(source: { name: string; size: number }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new GemmaError("IO_ERROR", `${source.name}: bad read range offset=${offset} length=${length}`);
  }
  if (offset + length > source.size) {
    throw new GemmaError(
      "TRUNCATED",
      `${source.name}: read of ${length} bytes at offset ${offset} passes the end of the data (${source.size} bytes)`,
    );
  }
}

/** A ByteSource over bytes already in memory (tests, browser File slices already read). */
export function memorySource(name: string, bytes: Uint8Array): ByteSource {
  const source: ByteSource = {
    name,
    size: bytes.length,
    async read(offset, length) {
      checkRange(source, offset, length);
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
  return source;
}
