import { GemmaError } from "../../util/errors.js";
import { type GgufArray, type GgufEntry, GgufValueType, fitsIntegerType, valueTypeName } from "./value-types.js";

/**
 * Builders for metadata entries with explicit GGUF types, e.g.
 * `[["gemma3.block_count", ggufValue.u32(18)], ["tokenizer.ggml.scores", ggufValue.array(ggufArray.f32(scores))]]`.
 * Integer builders refuse values their type cannot hold instead of wrapping them.
 */
export const ggufValue = {
  u8: (v: number): GgufEntry => ({ type: GgufValueType.UINT8, value: int(GgufValueType.UINT8, v) }),
  i8: (v: number): GgufEntry => ({ type: GgufValueType.INT8, value: int(GgufValueType.INT8, v) }),
  u16: (v: number): GgufEntry => ({ type: GgufValueType.UINT16, value: int(GgufValueType.UINT16, v) }),
  i16: (v: number): GgufEntry => ({ type: GgufValueType.INT16, value: int(GgufValueType.INT16, v) }),
  u32: (v: number): GgufEntry => ({ type: GgufValueType.UINT32, value: int(GgufValueType.UINT32, v) }),
  i32: (v: number): GgufEntry => ({ type: GgufValueType.INT32, value: int(GgufValueType.INT32, v) }),
  /** Rounded to the nearest f32 now, so what is held is what the file will hold. */
  f32: (v: number): GgufEntry => ({ type: GgufValueType.FLOAT32, value: Math.fround(v) }),
  f64: (v: number): GgufEntry => ({ type: GgufValueType.FLOAT64, value: v }),
  u64: (v: number | bigint): GgufEntry => ({ type: GgufValueType.UINT64, value: int(GgufValueType.UINT64, BigInt(v)) }),
  i64: (v: number | bigint): GgufEntry => ({ type: GgufValueType.INT64, value: int(GgufValueType.INT64, BigInt(v)) }),
  bool: (v: boolean): GgufEntry => ({ type: GgufValueType.BOOL, value: v }),
  string: (v: string): GgufEntry => ({ type: GgufValueType.STRING, value: v }),
  array: (a: GgufArray): GgufEntry => ({ type: GgufValueType.ARRAY, value: a }),
};

/** Builders for array values (wrap with `ggufValue.array`, or nest with `ggufArray.array`). */
export const ggufArray = {
  u8: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.UINT8, items: Uint8Array.from(ints(GgufValueType.UINT8, v)) }),
  i8: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.INT8, items: Int8Array.from(ints(GgufValueType.INT8, v)) }),
  u16: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.UINT16, items: Uint16Array.from(ints(GgufValueType.UINT16, v)) }),
  i16: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.INT16, items: Int16Array.from(ints(GgufValueType.INT16, v)) }),
  u32: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.UINT32, items: Uint32Array.from(ints(GgufValueType.UINT32, v)) }),
  i32: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.INT32, items: Int32Array.from(ints(GgufValueType.INT32, v)) }),
  f32: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.FLOAT32, items: Float32Array.from(v) }),
  f64: (v: ArrayLike<number>): GgufArray => ({ itemType: GgufValueType.FLOAT64, items: Float64Array.from(v) }),
  u64: (v: ArrayLike<number | bigint>): GgufArray => ({
    itemType: GgufValueType.UINT64,
    items: BigUint64Array.from(Array.from(v, (x) => int(GgufValueType.UINT64, BigInt(x)))),
  }),
  i64: (v: ArrayLike<number | bigint>): GgufArray => ({
    itemType: GgufValueType.INT64,
    items: BigInt64Array.from(Array.from(v, (x) => int(GgufValueType.INT64, BigInt(x)))),
  }),
  bool: (v: readonly boolean[]): GgufArray => ({ itemType: GgufValueType.BOOL, items: [...v] }),
  string: (v: readonly string[]): GgufArray => ({ itemType: GgufValueType.STRING, items: [...v] }),
  array: (v: readonly GgufArray[]): GgufArray => ({ itemType: GgufValueType.ARRAY, items: [...v] }),
};

function int<T extends number | bigint>(type: GgufValueType, v: T): T {
  if (!fitsIntegerType(type, v)) throw new GemmaError("GGUF_WRITE_ERROR", `${v} is not a ${valueTypeName(type)} value`);
  return v;
}

function ints(type: GgufValueType, v: ArrayLike<number>): ArrayLike<number> {
  for (let i = 0; i < v.length; i++) int(type, v[i]!);
  return v;
}
