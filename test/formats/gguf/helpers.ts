import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ByteSource, memorySource } from "../../../src/util/byte-source.js";
import { type GgufArray, type GgufEntry, GgufValueType } from "../../../src/formats/gguf/index.js";

export const GOLDEN_DIR = join(import.meta.dirname, "../../golden/gguf");

export function golden(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(GOLDEN_DIR, name)));
}

/** A sink for writeGguf that collects the file in memory. */
export function memorySink(): { sink: (chunk: Uint8Array) => Promise<void>; bytes: () => Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    sink: async (c) => {
      chunks.push(c);
    },
    bytes: () => {
      const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        out.set(c, at);
        at += c.length;
      }
      return out;
    },
  };
}

/** An opener over in-memory files, as openGguf takes it. */
export function memoryOpener(files: ReadonlyMap<string, Uint8Array>): (name: string) => Promise<ByteSource> {
  return async (name) => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`test opener: no file ${name}`);
    return memorySource(name, bytes);
  };
}

/** The JSON form scripts/ref/gguf-fixtures.py records: 64-bit ints and non-finite floats as strings. */
export type JsonValue = number | string | boolean | { item_type: number; items: JsonValue[] };

export function entryToJson(e: GgufEntry): JsonValue {
  if (e.type === GgufValueType.ARRAY) return arrayToJson(e.value);
  return scalarToJson(e.type, e.value as number | bigint | boolean | string);
}

function arrayToJson(a: GgufArray): JsonValue {
  const items: JsonValue[] = [];
  if (a.itemType === GgufValueType.ARRAY) for (const x of a.items) items.push(arrayToJson(x));
  else for (const x of Array.from(a.items as ArrayLike<number | bigint | boolean | string>)) items.push(scalarToJson(a.itemType, x));
  return { item_type: a.itemType, items };
}

function scalarToJson(type: GgufValueType, v: number | bigint | boolean | string): JsonValue {
  if (typeof v === "bigint") return v.toString();
  if ((type === GgufValueType.FLOAT32 || type === GgufValueType.FLOAT64) && typeof v === "number" && !Number.isFinite(v)) {
    return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  }
  return v;
}

/**
 * Our value in @huggingface/gguf's shape: nested JS arrays, 64-bit integers as bigints. Its
 * TextDecoder drops a leading U+FEFF from strings (six Gemma vocab pieces start with one; gguf-py
 * and llama.cpp keep it, as we do: see the gguf-py fixture test), so strings lose it here too.
 */
export function hfShape(e: GgufEntry): unknown {
  if (e.type === GgufValueType.STRING) return dropBom(e.value);
  return e.type === GgufValueType.ARRAY ? hfArrayShape(e.value) : e.value;
}

function hfArrayShape(a: GgufArray): unknown[] {
  if (a.itemType === GgufValueType.ARRAY) return a.items.map(hfArrayShape);
  if (a.itemType === GgufValueType.STRING) return a.items.map(dropBom);
  return Array.from(a.items as ArrayLike<unknown>);
}

function dropBom(s: string): string {
  return s.startsWith("\ufeff") ? s.slice(1) : s;
}
