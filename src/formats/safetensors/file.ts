import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";
import { MAX_HEADER_BYTES, parseHeader } from "./header.js";
import type { SafetensorsFile, SafetensorsTensorInfo } from "./types.js";

/**
 * Reads a safetensors file's header (8-byte little-endian length, then JSON) and validates it.
 * Only the header is read here; tensor bytes are read on demand by `readTensor`.
 * Format: huggingface/safetensors:README.md ("Format").
 */
export async function readSafetensors(source: ByteSource): Promise<SafetensorsFile> {
  const name = source.name;
  if (source.size < 8) {
    throw new GemmaError("SAFETENSORS_BAD_HEADER", `${name}: ${source.size} bytes, too short for the 8-byte header length`);
  }
  const prefix = await source.read(0, 8);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const high = view.getUint32(4, true);
  // A set high word already means >= 4 GiB, far past the limit; the exact value is not needed.
  const headerLength = high === 0 ? view.getUint32(0, true) : Infinity;
  if (headerLength > MAX_HEADER_BYTES) {
    const shown = high === 0 ? String(headerLength) : String(view.getBigUint64(0, true));
    throw new GemmaError(
      "SAFETENSORS_BAD_HEADER",
      `${name}: header length ${shown} (byte offset 0) is over the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  if (8 + headerLength > source.size) {
    throw new GemmaError(
      "SAFETENSORS_BAD_HEADER",
      `${name}: header length ${headerLength} (byte offset 0) passes the end of the ${source.size}-byte file`,
    );
  }
  const dataOffset = 8 + headerLength;
  const header = parseHeader(name, await source.read(8, headerLength), source.size - dataOffset);
  const tensors: SafetensorsTensorInfo[] = header.tensors.map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    byteSize: t.end - t.begin,
    offset: dataOffset + t.begin,
    source,
  }));
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    source,
    metadata: header.metadata,
    dataOffset,
    tensors,
    tensor: (tensorName) => byName.get(tensorName),
    readTensor: (info) => readTensorBytes(info),
    close: () => source.close(),
  };
}

/** A tensor's bytes from its own source (every info carries the source it was read from). */
export function readTensorBytes(info: SafetensorsTensorInfo): Promise<Uint8Array> {
  return info.source.read(info.offset, info.byteSize);
}
