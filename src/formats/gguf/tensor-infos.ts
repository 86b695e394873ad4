import { typeName, typeTraits } from "../../quant/types.js";
import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";
import type { ByteCursor } from "./cursor.js";
import type { GgufTensorInfo } from "./file.js";
import { readCount } from "./value-reader.js";

/** ggml keeps names in a 64-byte buffer with a terminating NUL (ggml-org/llama.cpp:ggml/include/ggml.h, GGML_MAX_NAME). */
const MAX_NAME_BYTES = 63;
/** ggml tensors have at most 4 dimensions (GGML_MAX_DIMS). */
const MAX_DIMS = 4;
/** The smallest tensor info record: empty name (u64 length), u32 n_dims, one u64 dim, u32 type, u64 offset. */
export const MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8;

/** A tensor info record as declared, before its data is placed in the file. */
export interface DeclaredTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly type: number;
  readonly nElements: number;
  readonly byteSize: number;
  /** Offset relative to the data section, or -1 when it is 2^53 or more. */
  readonly relOffset: number;
  /** Where the record starts in the file (for error messages). */
  readonly infoOffset: number;
}

export async function readTensorInfos(cur: ByteCursor, count: number, alignment: number): Promise<DeclaredTensor[]> {
  const out: DeclaredTensor[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const t = await readTensorInfo(cur, i, alignment);
    if (seen.has(t.name)) {
      throw new GemmaError("GGUF_DUPLICATE_KEY", `${cur.source.name}: tensor ${i} at byte offset ${t.infoOffset} repeats the name "${t.name}"`);
    }
    seen.add(t.name);
    out.push(t);
  }
  return out;
}

async function readTensorInfo(cur: ByteCursor, index: number, alignment: number): Promise<DeclaredTensor> {
  const file = cur.source.name;
  const infoOffset = cur.offset;
  const field = `tensor ${index} name`;
  const nameBytes = await readCount(cur, field, " length", 1);
  if (nameBytes > MAX_NAME_BYTES) {
    throw new GemmaError("GGUF_BAD_TENSOR", `${file}: ${field} at byte offset ${infoOffset} is ${nameBytes} bytes long (at most ${MAX_NAME_BYTES})`);
  }
  await cur.need(nameBytes, field);
  const name = cur.utf8(nameBytes, field);
  const bad = (what: string, at: number): GemmaError =>
    new GemmaError("GGUF_BAD_TENSOR", `${file}: tensor "${name}" ${what} (byte offset ${at})`);

  let at = cur.offset;
  await cur.need(4, `tensor "${name}" n_dims`);
  const nDims = cur.u32();
  if (nDims < 1 || nDims > MAX_DIMS) throw bad(`has n_dims ${nDims}, expected 1..${MAX_DIMS}`, at);

  const dims: number[] = [];
  let nElements = 1;
  for (let d = 0; d < nDims; d++) {
    at = cur.offset;
    await cur.need(8, `tensor "${name}" dimension ${d}`);
    const ne = cur.u64AsNumber();
    if (ne < 1) throw bad(`dimension ${d} is ${ne < 0 ? "2^53 or more" : 0}, expected at least 1`, at);
    nElements *= ne;
    if (!Number.isSafeInteger(nElements)) throw bad(`has more than 2^53 elements`, at);
    dims.push(ne);
  }

  at = cur.offset;
  await cur.need(4 + 8, `tensor "${name}" type and offset`);
  const type = cur.u32();
  const traits = typeTraits(type);
  if (!traits) throw bad(`has type id ${type}, which is not a ggml type`, at);
  if (dims[0]! % traits.blockSize !== 0) {
    throw bad(`has ${dims[0]} elements per row, not a multiple of the ${traits.name} block size ${traits.blockSize}`, at);
  }
  const byteSize = (nElements / traits.blockSize) * traits.typeSize;
  if (!Number.isSafeInteger(byteSize)) throw bad(`has a byte size of 2^53 or more`, at);

  at = cur.offset;
  const relOffset = cur.u64AsNumber();
  if (relOffset >= 0 && relOffset % alignment !== 0) {
    throw new GemmaError(
      "GGUF_BAD_ALIGNMENT",
      `${file}: tensor "${name}" data offset ${relOffset} (byte offset ${at}) is not a multiple of the alignment ${alignment}`,
    );
  }
  return { name, dims, type, nElements, byteSize, relOffset, infoOffset };
}

/**
 * Places declared tensors in `source` at `dataOffset`: each must lie inside the file and no two may
 * share bytes. Gaps and any order are accepted (the format allows them, though llama.cpp's own
 * writer packs tensors densely in order).
 */
export function placeTensors(source: ByteSource, declared: readonly DeclaredTensor[], dataOffset: number): GgufTensorInfo[] {
  const placed = declared.map((t): GgufTensorInfo => {
    const offset = t.relOffset < 0 ? -1 : dataOffset + t.relOffset;
    if (offset < 0 || offset + t.byteSize > source.size) {
      throw new GemmaError(
        "GGUF_TENSOR_OUT_OF_BOUNDS",
        `${source.name}: tensor "${t.name}" (${typeName(t.type)}, ${t.byteSize} bytes, info at byte offset ${t.infoOffset}) ` +
          `at data offset ${t.relOffset < 0 ? "2^53 or more" : t.relOffset} passes the end of the file ` +
          `(${source.size} bytes, data section at ${dataOffset}; a truncated download or a corrupt header)`,
      );
    }
    return { name: t.name, dims: t.dims, type: t.type, byteSize: t.byteSize, source, offset, nElements: t.nElements };
  });
  const byStart = [...placed].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < byStart.length; i++) {
    const prev = byStart[i - 1]!;
    const next = byStart[i]!;
    if (next.offset < prev.offset + prev.byteSize) {
      throw new GemmaError(
        "GGUF_TENSOR_OVERLAP",
        `${source.name}: tensor "${next.name}" at byte offset ${next.offset} overlaps tensor "${prev.name}" (byte offsets ${prev.offset}..${prev.offset + prev.byteSize})`,
      );
    }
  }
  return placed;
}
