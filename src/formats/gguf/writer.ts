import { typeTraits } from "../../quant/types.js";
import { GemmaError } from "../../util/errors.js";
import { ByteBuilder } from "./byte-builder.js";
import { GGUF_ALIGNMENT_KEY, GGUF_DEFAULT_ALIGNMENT } from "./reader.js";
import { type GgufArray, type GgufEntry, GgufValueType, fitsIntegerType, isGgufValueType, valueTypeName } from "./value-types.js";

export interface GgufWriteTensor {
  readonly name: string;
  /** ne0 first. */
  readonly dims: readonly number[];
  /** ggml type id. */
  readonly type: number;
  /** Exactly the tensor's bytes; a function is called once, when the data is due (large models). */
  readonly data: Uint8Array | (() => Promise<Uint8Array>);
}

export interface GgufWriteOptions {
  /**
   * Data alignment (a power of two). Defaults to the metadata's u32 `general.alignment`, else 32;
   * a non-default value missing from the metadata is added to it.
   */
  readonly alignment?: number;
}

/** Same caps as the reader, so whatever is written reads back. */
const MAX_NAME_BYTES = 63;
const MAX_DIMS = 4;
const MAX_ARRAY_DEPTH = 8;
const utf8 = new TextEncoder();

/**
 * Writes a GGUF v3 file to `sink` chunk by chunk: header, metadata in the given order, tensor
 * infos, then the data section laid out as llama.cpp requires (dense, in order, each tensor padded
 * to the alignment; ggml-org/llama.cpp:ggml/src/gguf.cpp, gguf_write_out). The writer never reuses
 * a chunk it passed to `sink` (tensor data is passed as given), so the sink may keep them.
 */
export async function writeGguf(
  sink: (chunk: Uint8Array) => Promise<void>,
  meta: Iterable<readonly [string, GgufEntry]>,
  tensors: readonly GgufWriteTensor[],
  opts: GgufWriteOptions = {},
): Promise<void> {
  const entries = [...meta];
  const alignment = resolveAlignment(entries, opts.alignment);
  const sizes = tensors.map(checkTensor);

  const h = new ByteBuilder();
  h.raw(utf8.encode("GGUF"));
  h.u32(3);
  h.u64(tensors.length);
  h.u64(entries.length);
  const keys = new Set<string>();
  for (const [key, entry] of entries) {
    if (key.length === 0) fail("a metadata key is empty");
    if (keys.has(key)) fail(`metadata key "${key}" appears twice`);
    keys.add(key);
    h.string(key);
    h.u32(entry.type);
    writeValue(h, entry, `metadata key "${key}"`);
  }
  let offset = 0;
  const names = new Set<string>();
  for (const [i, t] of tensors.entries()) {
    if (names.has(t.name)) fail(`tensor name "${t.name}" appears twice`);
    names.add(t.name);
    h.string(t.name);
    h.u32(t.dims.length);
    for (const d of t.dims) h.u64(d);
    h.u32(t.type);
    h.u64(offset);
    offset += padded(sizes[i]!, alignment);
  }
  h.pad(alignment);
  await sink(h.bytes().slice());

  for (const [i, t] of tensors.entries()) {
    const data = typeof t.data === "function" ? await t.data() : t.data;
    checkDataLength(t, data, sizes[i]!);
    await sink(data);
    const pad = padded(data.length, alignment) - data.length;
    if (pad > 0) await sink(new Uint8Array(pad));
  }
}

function padded(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function fail(message: string): never {
  throw new GemmaError("GGUF_WRITE_ERROR", `cannot write GGUF: ${message}`);
}

/** Picks the alignment and, when a non-default one is asked for, adds the key the reader needs to find it. */
function resolveAlignment(entries: (readonly [string, GgufEntry])[], asked: number | undefined): number {
  const found = entries.find(([k]) => k === GGUF_ALIGNMENT_KEY)?.[1];
  if (found !== undefined && found.type !== GgufValueType.UINT32) fail(`${GGUF_ALIGNMENT_KEY} must be a u32`);
  const fromMeta = found?.value as number | undefined;
  const alignment = asked ?? fromMeta ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment < 1 || alignment > 0x80000000 || (alignment & (alignment - 1)) !== 0) {
    fail(`alignment ${alignment} is not a power of two`);
  }
  if (fromMeta !== undefined && fromMeta !== alignment) fail(`alignment ${alignment} differs from ${GGUF_ALIGNMENT_KEY} = ${fromMeta}`);
  if (fromMeta === undefined && alignment !== GGUF_DEFAULT_ALIGNMENT) {
    entries.push([GGUF_ALIGNMENT_KEY, { type: GgufValueType.UINT32, value: alignment }]);
  }
  return alignment;
}

/** Validates a tensor as the reader will and returns its byte size. */
function checkTensor(t: GgufWriteTensor): number {
  const what = `tensor "${t.name}"`;
  if (utf8.encode(t.name).length > MAX_NAME_BYTES) fail(`${what} has a name longer than ${MAX_NAME_BYTES} bytes`);
  if (t.dims.length < 1 || t.dims.length > MAX_DIMS) fail(`${what} has ${t.dims.length} dimensions, expected 1..${MAX_DIMS}`);
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 1) fail(`${what} has dimension ${d}`);
    n *= d;
  }
  const traits = typeTraits(t.type);
  if (!traits) fail(`${what} has type id ${t.type}, which is not a ggml type`);
  if (t.dims[0]! % traits.blockSize !== 0) fail(`${what} has rows of ${t.dims[0]}, not a multiple of the ${traits.name} block size`);
  const bytes = (n / traits.blockSize) * traits.typeSize;
  if (!Number.isSafeInteger(bytes)) fail(`${what} is too large`);
  if (t.data instanceof Uint8Array) checkDataLength(t, t.data, bytes);
  return bytes;
}

function checkDataLength(t: GgufWriteTensor, data: Uint8Array, expected: number): void {
  if (data.length !== expected) fail(`tensor "${t.name}" has ${data.length} bytes of data, expected ${expected}`);
}

function writeValue(h: ByteBuilder, e: GgufEntry, field: string): void {
  const v: unknown = e.value;
  switch (e.type) {
    case GgufValueType.UINT8:
      return h.u8(checkInt(e.type, v, field));
    case GgufValueType.INT8:
      return h.i8(checkInt(e.type, v, field));
    case GgufValueType.UINT16:
      return h.u16(checkInt(e.type, v, field));
    case GgufValueType.INT16:
      return h.i16(checkInt(e.type, v, field));
    case GgufValueType.UINT32:
      return h.u32(checkInt(e.type, v, field));
    case GgufValueType.INT32:
      return h.i32(checkInt(e.type, v, field));
    case GgufValueType.UINT64:
      return h.u64(checkInt(e.type, v, field));
    case GgufValueType.INT64:
      return h.i64(checkInt(e.type, v, field));
    case GgufValueType.FLOAT32:
      return h.f32(checkKind(v, "number", field));
    case GgufValueType.FLOAT64:
      return h.f64(checkKind(v, "number", field));
    case GgufValueType.BOOL:
      return h.u8(checkKind(v, "boolean", field) ? 1 : 0);
    case GgufValueType.STRING:
      return h.string(checkKind(v, "string", field));
    case GgufValueType.ARRAY:
      return writeArray(h, e.value, field, 0);
    default:
      fail(`${field} has value type ${valueTypeName((e as { type: number }).type)}`);
  }
}

/** Typed-array class each numeric item type must come in (checked: callers may not be TypeScript). */
const ITEM_CLASS: Partial<Record<GgufValueType, new (n: number) => ArrayBufferView>> = {
  0: Uint8Array,
  1: Int8Array,
  2: Uint16Array,
  3: Int16Array,
  4: Uint32Array,
  5: Int32Array,
  6: Float32Array,
  10: BigUint64Array,
  11: BigInt64Array,
  12: Float64Array,
};

function writeArray(h: ByteBuilder, a: GgufArray, field: string, depth: number): void {
  if (depth >= MAX_ARRAY_DEPTH) fail(`${field} nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
  if (!isGgufValueType(a.itemType)) fail(`${field} has array item type ${a.itemType}`);
  h.u32(a.itemType);
  h.u64(a.items.length);
  const cls = ITEM_CLASS[a.itemType];
  if (cls) {
    if (!(a.items instanceof cls)) fail(`${field} holds ${valueTypeName(a.itemType)} items that are not a ${cls.name}`);
    return h.raw(a.items as ArrayBufferView);
  }
  if (!Array.isArray(a.items)) fail(`${field} holds ${valueTypeName(a.itemType)} items that are not an array`);
  switch (a.itemType) {
    case GgufValueType.BOOL:
      for (const b of a.items) h.u8(checkKind(b, "boolean", field) ? 1 : 0);
      return;
    case GgufValueType.STRING:
      for (const s of a.items) h.string(checkKind(s, "string", field));
      return;
    case GgufValueType.ARRAY:
      for (const inner of a.items) writeArray(h, inner, field, depth + 1);
      return;
  }
}

function checkInt<T extends number | bigint>(type: GgufValueType, v: unknown, field: string): T {
  if ((typeof v !== "number" && typeof v !== "bigint") || !fitsIntegerType(type, v)) {
    fail(`${field} holds ${String(v)}, not a ${valueTypeName(type)}`);
  }
  return v as T;
}

function checkKind<K extends "number" | "boolean" | "string">(
  v: unknown,
  kind: K,
  field: string,
): K extends "number" ? number : K extends "boolean" ? boolean : string {
  if (typeof v !== kind) fail(`${field} holds ${String(v)}, not a ${kind}`);
  return v as K extends "number" ? number : K extends "boolean" ? boolean : string;
}
