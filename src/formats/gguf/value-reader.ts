import { GemmaError } from "../../util/errors.js";
import type { ByteCursor } from "./cursor.js";
import {
  type GgufArray,
  type GgufEntry,
  GgufValueType,
  fixedSize,
  isGgufValueType,
  minEncodedSize,
} from "./value-types.js";

/**
 * Arrays of arrays are legal GGUF (gguf-py writes them) but nothing real nests deeply; the cap keeps
 * a file of nested array headers from exhausting the stack.
 */
const MAX_ARRAY_DEPTH = 8;

/** Largest typed-array copy done between two `need` calls. */
const COPY_STEP = 1 << 20;

/**
 * Reads a u64 length or count and checks that `count * minItemBytes` bytes can still follow.
 * The error names `${field}${suffix}`; the two parts stay apart so the hot path builds no string.
 */
export async function readCount(cur: ByteCursor, field: string, suffix: string, minItemBytes: number): Promise<number> {
  const at = cur.offset;
  if (!cur.has(8)) await cur.need(8, field, suffix);
  const n = cur.u64AsNumber();
  if (n < 0 || n * minItemBytes > cur.remaining) {
    const declared = n < 0 ? "2^53 or more" : String(n);
    throw new GemmaError(
      "GGUF_ABSURD_COUNT",
      `${cur.source.name}: ${field}${suffix} at byte offset ${at} is ${declared}, more than the ${cur.remaining} bytes left in the file can hold (a truncated or corrupt file)`,
    );
  }
  return n;
}

/** A GGUF string; synchronous when its bytes are already buffered, as nearly all vocab pieces are. */
export function readString(cur: ByteCursor, field: string): string | Promise<string> {
  if (cur.has(8)) {
    const n = cur.peekU64AsNumber();
    if (n >= 0 && cur.has(8 + n)) {
      cur.u64AsNumber();
      return cur.utf8(n, field);
    }
  }
  return readStringSlowly(cur, field);
}

async function readStringSlowly(cur: ByteCursor, field: string): Promise<string> {
  const n = await readCount(cur, field, " length", 1);
  await cur.need(n, field);
  return cur.utf8(n, field);
}

/** Reads a u32 value type id; unknown ids are GGUF_BAD_VALUE_TYPE. */
export async function readValueType(cur: ByteCursor, field: string): Promise<GgufValueType> {
  const at = cur.offset;
  await cur.need(4, field);
  const t = cur.u32();
  if (!isGgufValueType(t)) {
    throw new GemmaError("GGUF_BAD_VALUE_TYPE", `${cur.source.name}: ${field} at byte offset ${at} is ${t}, not a GGUF value type (0..12)`);
  }
  return t;
}

export async function readEntry(cur: ByteCursor, type: GgufValueType, field: string): Promise<GgufEntry> {
  if (type === GgufValueType.STRING) return { type, value: await readString(cur, field) };
  if (type === GgufValueType.ARRAY) return { type, value: await readArray(cur, field, 0) };
  await cur.need(fixedSize(type), field);
  switch (type) {
    case GgufValueType.UINT8:
      return { type, value: cur.u8() };
    case GgufValueType.INT8:
      return { type, value: cur.i8() };
    case GgufValueType.UINT16:
      return { type, value: cur.u16() };
    case GgufValueType.INT16:
      return { type, value: cur.i16() };
    case GgufValueType.UINT32:
      return { type, value: cur.u32() };
    case GgufValueType.INT32:
      return { type, value: cur.i32() };
    case GgufValueType.FLOAT32:
      return { type, value: cur.f32() };
    case GgufValueType.BOOL:
      return { type, value: readBool(cur, field) };
    case GgufValueType.UINT64:
      return { type, value: cur.u64() };
    case GgufValueType.INT64:
      return { type, value: cur.i64() };
    case GgufValueType.FLOAT64:
      return { type, value: cur.f64() };
  }
}

/** GGUF bools are one byte; anything but 0 or 1 means the file is not what it claims. */
function readBool(cur: ByteCursor, field: string): boolean {
  const at = cur.offset;
  const b = cur.u8();
  if (b > 1) throw new GemmaError("GGUF_BAD_VALUE_TYPE", `${cur.source.name}: ${field} at byte offset ${at} is a bool of value ${b}, not 0 or 1`);
  return b === 1;
}

async function readArray(cur: ByteCursor, field: string, depth: number): Promise<GgufArray> {
  if (depth >= MAX_ARRAY_DEPTH) {
    throw new GemmaError(
      "GGUF_BAD_VALUE_TYPE",
      `${cur.source.name}: ${field} at byte offset ${cur.offset} nests arrays more than ${MAX_ARRAY_DEPTH} deep`,
    );
  }
  const itemType = await readValueType(cur, `${field} item type`);
  const n = await readCount(cur, field, " item count", minEncodedSize(itemType));
  const item = `${field} item`;
  switch (itemType) {
    case GgufValueType.STRING: {
      const items = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const s = readString(cur, item);
        items[i] = typeof s === "string" ? s : await s;
      }
      return { itemType, items };
    }
    case GgufValueType.ARRAY: {
      const items = new Array<GgufArray>(n);
      for (let i = 0; i < n; i++) items[i] = await readArray(cur, item, depth + 1);
      return { itemType, items };
    }
    case GgufValueType.BOOL: {
      const items = new Array<boolean>(n);
      for (let i = 0; i < n; i++) {
        await cur.need(1, item);
        items[i] = readBool(cur, item);
      }
      return { itemType, items };
    }
    case GgufValueType.UINT8:
      return { itemType, items: await readBytes(cur, n, item) };
    case GgufValueType.INT8:
      return { itemType, items: new Int8Array((await readBytes(cur, n, item)).buffer) };
    case GgufValueType.UINT16:
      return { itemType, items: new Uint16Array((await readBytes(cur, n * 2, item)).buffer) };
    case GgufValueType.INT16:
      return { itemType, items: new Int16Array((await readBytes(cur, n * 2, item)).buffer) };
    case GgufValueType.UINT32:
      return { itemType, items: new Uint32Array((await readBytes(cur, n * 4, item)).buffer) };
    case GgufValueType.INT32:
      return { itemType, items: new Int32Array((await readBytes(cur, n * 4, item)).buffer) };
    case GgufValueType.FLOAT32:
      return { itemType, items: new Float32Array((await readBytes(cur, n * 4, item)).buffer) };
    case GgufValueType.UINT64:
      return { itemType, items: new BigUint64Array((await readBytes(cur, n * 8, item)).buffer) };
    case GgufValueType.INT64:
      return { itemType, items: new BigInt64Array((await readBytes(cur, n * 8, item)).buffer) };
    case GgufValueType.FLOAT64:
      return { itemType, items: new Float64Array((await readBytes(cur, n * 8, item)).buffer) };
  }
}

/**
 * `n` bytes in a fresh buffer of their own, viewed by the typed arrays above. Reinterpreting the
 * bytes in place assumes a little-endian host, which every JS engine we target is.
 */
async function readBytes(cur: ByteCursor, n: number, field: string): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let done = 0; done < n; ) {
    const step = Math.min(COPY_STEP, n - done);
    await cur.need(step, field);
    cur.copyTo(out, done, step);
    done += step;
  }
  return out;
}
