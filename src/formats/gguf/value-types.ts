/**
 * GGUF metadata value types (ggml-org/llama.cpp:ggml/include/gguf.h, `enum gguf_type`) and the
 * in-memory shape of a metadata value. Numeric arrays are typed arrays so a 262k-entry score table
 * costs its bytes, not a JS array of numbers.
 */
export const GgufValueType = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;
export type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

/** What a scalar of each type holds: 64-bit integers are bigints so no value is rounded. */
interface ScalarOf {
  0: number;
  1: number;
  2: number;
  3: number;
  4: number;
  5: number;
  6: number;
  7: boolean;
  8: string;
  9: GgufArray;
  10: bigint;
  11: bigint;
  12: number;
}

/** What an array of each item type holds. */
interface ItemsOf {
  0: Uint8Array;
  1: Int8Array;
  2: Uint16Array;
  3: Int16Array;
  4: Uint32Array;
  5: Int32Array;
  6: Float32Array;
  7: readonly boolean[];
  8: readonly string[];
  9: readonly GgufArray[];
  10: BigUint64Array;
  11: BigInt64Array;
  12: Float64Array;
}

/** An array value; `itemType` ARRAY nests (each inner array has its own item type). */
export type GgufArray = { [T in GgufValueType]: { readonly itemType: T; readonly items: ItemsOf[T] } }[GgufValueType];

/** One metadata value with its exact GGUF type (so u32 vs i32 vs f32 survives a round trip). */
export type GgufEntry = { [T in GgufValueType]: { readonly type: T; readonly value: ScalarOf[T] } }[GgufValueType];

const NAMES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"] as const;

/** Bytes of one fixed-size value, or 0 for STRING/ARRAY (length-prefixed). */
const FIXED_SIZE = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8] as const;

export function isGgufValueType(n: number): n is GgufValueType {
  return Number.isInteger(n) && n >= 0 && n < NAMES.length;
}

export function valueTypeName(type: number): string {
  return isGgufValueType(type) ? NAMES[type] : `unknown type ${type}`;
}

/** Human-readable type of an entry, e.g. "u32" or "array of string" or "array of array of i32". */
export function entryTypeName(e: GgufEntry): string {
  return e.type === GgufValueType.ARRAY ? arrayTypeName(e.value) : NAMES[e.type];
}

export function arrayTypeName(a: GgufArray): string {
  if (a.itemType !== GgufValueType.ARRAY) return `array of ${NAMES[a.itemType]}`;
  const first = a.items[0];
  return first ? `array of ${arrayTypeName(first)}` : "array of array";
}

export function fixedSize(type: GgufValueType): number {
  return FIXED_SIZE[type];
}

/**
 * The fewest bytes a value of this type can occupy in a file: strings carry a u64 length and
 * arrays a u32 item type plus a u64 count. Declared counts are checked against this before any
 * allocation.
 */
export function minEncodedSize(type: GgufValueType): number {
  if (type === GgufValueType.STRING) return 8;
  if (type === GgufValueType.ARRAY) return 12;
  return FIXED_SIZE[type];
}

export function isIntegerType(type: GgufValueType): boolean {
  return type <= GgufValueType.INT32 || type === GgufValueType.UINT64 || type === GgufValueType.INT64;
}

export function isNumericType(type: GgufValueType): boolean {
  return isIntegerType(type) || type === GgufValueType.FLOAT32 || type === GgufValueType.FLOAT64;
}

/** Inclusive ranges of the integer types that fit a JS number exactly. */
const INT_RANGE: Partial<Record<GgufValueType, readonly [number, number]>> = {
  0: [0, 0xff],
  1: [-0x80, 0x7f],
  2: [0, 0xffff],
  3: [-0x8000, 0x7fff],
  4: [0, 0xffffffff],
  5: [-0x80000000, 0x7fffffff],
};
const INT64_RANGE: Partial<Record<GgufValueType, readonly [bigint, bigint]>> = {
  10: [0n, 0xffffffffffffffffn],
  11: [-0x8000000000000000n, 0x7fffffffffffffffn],
};

/** Whether `v` is a value of integer type `type` (numbers for u8..i32, bigints for u64/i64). */
export function fitsIntegerType(type: GgufValueType, v: number | bigint): boolean {
  const r = INT_RANGE[type];
  if (r) return typeof v === "number" && Number.isInteger(v) && v >= r[0] && v <= r[1];
  const r64 = INT64_RANGE[type];
  return r64 !== undefined && typeof v === "bigint" && v >= r64[0] && v <= r64[1];
}
