import { checkRange, type ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";

/**
 * A ByteSource over a Blob: a File from a file picker, or a model file in the Cache API (whose blobs stay on
 * disk). Each read slices the blob, so only the requested range is brought into memory.
 */
export function blobSource(blob: Blob, name: string): ByteSource {
  const source: ByteSource = {
    name,
    size: blob.size,
    async read(offset, length) {
      checkRange(source, offset, length);
      try {
        return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
      } catch (e) {
        throw new GemmaError("IO_ERROR", `${name}: reading ${length} bytes at byte offset ${offset} failed: ${String(e)}`, { cause: e });
      }
    },
    async close() {},
  };
  return source;
}
