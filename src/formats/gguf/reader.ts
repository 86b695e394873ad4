import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";
import { ByteCursor } from "./cursor.js";
import type { GgufFile, GgufTensorInfo } from "./file.js";
import { GgufMetadataMap } from "./metadata.js";
import { MIN_TENSOR_INFO_BYTES, placeTensors, readTensorInfos } from "./tensor-infos.js";
import { readCount, readEntry, readString, readValueType } from "./value-reader.js";
import { type GgufEntry, GgufValueType, entryTypeName } from "./value-types.js";

const MAGIC = [0x47, 0x47, 0x55, 0x46]; // "GGUF"
/** Data alignment when `general.alignment` is absent (ggml-org/llama.cpp:ggml/include/gguf.h, GGUF_DEFAULT_ALIGNMENT). */
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_ALIGNMENT_KEY = "general.alignment";
/** The smallest key/value record: a 1-byte key (u64 length + byte), a u32 type and a 1-byte value. */
const MIN_KV_BYTES = 8 + 1 + 4 + 1;

/**
 * Parses the header of one GGUF file (v2 or v3; both share one layout) and validates every field
 * against the bytes that exist. Tensor data stays in `source` until readTensor. The returned file
 * owns `source` and closes it; when parsing fails the caller still owns it.
 */
export async function readGguf(source: ByteSource): Promise<GgufFile> {
  const cur = new ByteCursor(source);
  const file = source.name;

  await cur.need(8, "magic and version");
  for (let i = 0; i < 4; i++) {
    if (cur.u8() !== MAGIC[i]) throw new GemmaError("GGUF_BAD_MAGIC", `${file}: not a GGUF file (the first 4 bytes at byte offset 0 are not "GGUF")`);
  }
  const version = cur.u32();
  if (version !== 2 && version !== 3) {
    const why =
      (version & 0xffff) === 0 ? " (a big-endian file? only little-endian GGUF is supported)" : version === 1 ? " (GGUF v1 is obsolete)" : "";
    throw new GemmaError("GGUF_BAD_VERSION", `${file}: GGUF version ${version} at byte offset 4 is not supported, expected 2 or 3${why}`);
  }
  const tensorCount = await readCount(cur, "tensor count", "", MIN_TENSOR_INFO_BYTES);
  const kvCount = await readCount(cur, "metadata key/value count", "", MIN_KV_BYTES);

  const entries = new Map<string, GgufEntry>();
  const offsets = new Map<string, number>();
  for (let i = 0; i < kvCount; i++) {
    const at = cur.offset;
    const key = await readString(cur, `metadata key ${i}`);
    if (key.length === 0) throw new GemmaError("GGUF_BAD_STRING", `${file}: metadata key ${i} at byte offset ${at} is empty`);
    if (entries.has(key)) {
      throw new GemmaError("GGUF_DUPLICATE_KEY", `${file}: metadata key "${key}" at byte offset ${at} repeats the key at byte offset ${offsets.get(key)}`);
    }
    const field = `metadata key "${key}"`;
    const type = await readValueType(cur, `${field} value type`);
    entries.set(key, await readEntry(cur, type, field));
    offsets.set(key, at);
  }

  const alignment = readAlignment(file, entries.get(GGUF_ALIGNMENT_KEY), offsets.get(GGUF_ALIGNMENT_KEY));
  const declared = await readTensorInfos(cur, tensorCount, alignment);
  const dataOffset = Math.ceil(cur.offset / alignment) * alignment;
  const tensors = placeTensors(source, declared, dataOffset);
  return makeFile(file, version, alignment, dataOffset, new GgufMetadataMap(file, entries, offsets), tensors, () =>
    source.close(),
  );
}

/** llama.cpp insists on a u32 power of two (ggml-org/llama.cpp:ggml/src/gguf.cpp, gguf_init_from_reader). */
function readAlignment(file: string, e: GgufEntry | undefined, at: number | undefined): number {
  if (e === undefined) return GGUF_DEFAULT_ALIGNMENT;
  const where = `${file}: metadata key "${GGUF_ALIGNMENT_KEY}" (byte offset ${at})`;
  if (e.type !== GgufValueType.UINT32) throw new GemmaError("GGUF_BAD_ALIGNMENT", `${where} has type ${entryTypeName(e)}, expected u32`);
  if (e.value === 0 || (e.value & (e.value - 1)) !== 0) {
    throw new GemmaError("GGUF_BAD_ALIGNMENT", `${where} is ${e.value}, not a nonzero power of two`);
  }
  return e.value;
}

/** Assembles a GgufFile over already-validated parts (also used to merge split shards). */
export function makeFile(
  name: string,
  version: number,
  alignment: number,
  dataOffset: number,
  metadata: GgufFile["metadata"],
  tensors: readonly GgufTensorInfo[],
  close: () => Promise<void>,
): GgufFile {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    name,
    version,
    alignment,
    dataOffset,
    metadata,
    tensors,
    tensor: (n) => byName.get(n),
    readTensor: (t) => t.source.read(t.offset, t.byteSize),
    close,
  };
}
