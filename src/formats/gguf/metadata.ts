import { GemmaError } from "../../util/errors.js";
import { type GgufArray, type GgufEntry, GgufValueType, entryTypeName, isIntegerType, isNumericType } from "./value-types.js";

/** Typed access to a GGUF file's key/value metadata. */
export interface GgufMetadata {
  has(key: string): boolean;
  /** Keys in file order. */
  keys(): Iterable<string>;
  /** [key, entry] pairs in file order (what writeGguf takes back). */
  entries(): Iterable<readonly [string, GgufEntry]>;
  entry(key: string): GgufEntry | undefined;
  /** Any integer or float scalar; 64-bit integers must be exact as a JS number. */
  number(key: string): number;
  optionalNumber(key: string): number | undefined;
  string(key: string): string;
  optionalString(key: string): string | undefined;
  bool(key: string): boolean;
  optionalBool(key: string): boolean | undefined;
  stringArray(key: string): readonly string[];
  optionalStringArray(key: string): readonly string[] | undefined;
  /** Any numeric array, as a fresh Float32Array. */
  float32Array(key: string): Float32Array;
  optionalFloat32Array(key: string): Float32Array | undefined;
  /** Any integer array whose values all fit in an i32, as a fresh Int32Array. */
  int32Array(key: string): Int32Array;
  optionalInt32Array(key: string): Int32Array | undefined;
  /** Any numeric or bool array (bools as 0/1). */
  optionalNumberArray(key: string): readonly number[] | undefined;
}

/** Metadata read from `file`, with each entry's byte offset for error messages. */
export class GgufMetadataMap implements GgufMetadata {
  constructor(
    private readonly file: string,
    private readonly map: ReadonlyMap<string, GgufEntry>,
    private readonly offsets: ReadonlyMap<string, number>,
  ) {}

  has(key: string): boolean {
    return this.map.has(key);
  }

  keys(): Iterable<string> {
    return this.map.keys();
  }

  entries(): Iterable<readonly [string, GgufEntry]> {
    return this.map.entries();
  }

  entry(key: string): GgufEntry | undefined {
    return this.map.get(key);
  }

  number(key: string): number {
    return this.required(key, this.optionalNumber(key));
  }

  optionalNumber(key: string): number | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (!isNumericType(e.type)) throw this.wrongType(key, e, "a number");
    return this.exact(key, e.value as number | bigint);
  }

  string(key: string): string {
    return this.required(key, this.optionalString(key));
  }

  optionalString(key: string): string | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.type !== GgufValueType.STRING) throw this.wrongType(key, e, "string");
    return e.value;
  }

  bool(key: string): boolean {
    return this.required(key, this.optionalBool(key));
  }

  optionalBool(key: string): boolean | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.type !== GgufValueType.BOOL) throw this.wrongType(key, e, "bool");
    return e.value;
  }

  stringArray(key: string): readonly string[] {
    return this.required(key, this.optionalStringArray(key));
  }

  optionalStringArray(key: string): readonly string[] | undefined {
    const a = this.array(key, "array of string");
    if (a === undefined) return undefined;
    if (a.itemType !== GgufValueType.STRING) throw this.wrongType(key, this.map.get(key)!, "array of string");
    return a.items;
  }

  float32Array(key: string): Float32Array {
    return this.required(key, this.optionalFloat32Array(key));
  }

  optionalFloat32Array(key: string): Float32Array | undefined {
    const a = this.numericArray(key, "array of numbers", false);
    if (a === undefined) return undefined;
    if (a.itemType === GgufValueType.UINT64 || a.itemType === GgufValueType.INT64) {
      return Float32Array.from(a.items, (v) => Number(v));
    }
    return Float32Array.from(a.items as ArrayLike<number>);
  }

  int32Array(key: string): Int32Array {
    return this.required(key, this.optionalInt32Array(key));
  }

  optionalInt32Array(key: string): Int32Array | undefined {
    const a = this.numericArray(key, "array of integers", true);
    if (a === undefined) return undefined;
    const out = new Int32Array(a.items.length);
    for (let i = 0; i < out.length; i++) {
      const v = Number(a.items[i]!);
      if (v !== (v | 0)) {
        throw new GemmaError(
          "GGUF_BAD_VALUE_TYPE",
          `${this.file}: metadata key "${key}"${this.at(key)} item ${i} is ${a.items[i]}, which does not fit in an i32`,
        );
      }
      out[i] = v;
    }
    return out;
  }

  optionalNumberArray(key: string): readonly number[] | undefined {
    const a = this.array(key, "array of numbers or bools");
    if (a === undefined) return undefined;
    if (a.itemType === GgufValueType.BOOL) return a.items.map((b) => (b ? 1 : 0));
    if (!isNumericType(a.itemType)) throw this.wrongType(key, this.map.get(key)!, "array of numbers or bools");
    return Array.from(a.items as ArrayLike<number | bigint>, (v) => this.exact(key, v));
  }

  private numericArray(key: string, expected: string, integers: boolean): Exclude<GgufArray, { itemType: 7 | 8 | 9 }> | undefined {
    const a = this.array(key, expected);
    if (a === undefined) return undefined;
    if (a.itemType === GgufValueType.BOOL || a.itemType === GgufValueType.STRING || a.itemType === GgufValueType.ARRAY) {
      throw this.wrongType(key, this.map.get(key)!, expected);
    }
    if (integers && !isIntegerType(a.itemType)) throw this.wrongType(key, this.map.get(key)!, expected);
    return a;
  }

  private array(key: string, expected: string): GgufArray | undefined {
    const e = this.map.get(key);
    if (e === undefined) return undefined;
    if (e.type !== GgufValueType.ARRAY) throw this.wrongType(key, e, expected);
    return e.value;
  }

  private exact(key: string, v: number | bigint): number {
    if (typeof v === "number") return v;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) {
      throw new GemmaError("GGUF_BAD_VALUE_TYPE", `${this.file}: metadata key "${key}"${this.at(key)} holds ${v}, which a JS number cannot represent exactly`);
    }
    return n;
  }

  private required<T>(key: string, v: T | undefined): T {
    if (v === undefined) throw new GemmaError("MODEL_MISSING_KEY", `${this.file}: metadata key "${key}" is missing`);
    return v;
  }

  private wrongType(key: string, e: GgufEntry, expected: string): GemmaError {
    return new GemmaError(
      "GGUF_BAD_VALUE_TYPE",
      `${this.file}: metadata key "${key}"${this.at(key)} has type ${entryTypeName(e)}, expected ${expected}`,
    );
  }

  private at(key: string): string {
    const o = this.offsets.get(key);
    return o === undefined ? "" : ` (byte offset ${o})`;
  }
}
