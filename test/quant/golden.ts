import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

/** Reads a committed golden file of test/golden/quant/. */
export function readGolden<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../golden/quant/${name}`, import.meta.url), "utf8")) as T;
}

/** Base64 → bytes in a fresh, aligned buffer. */
export function bytesOf(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, "base64"));
}

/** Base64 of little-endian f32s → floats. */
export function floatsOf(b64: string): Float32Array {
  const b = bytesOf(b64);
  return new Float32Array(b.buffer, 0, b.length / 4);
}

/** Asserts equal bytes, naming the first difference. */
export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const i = actual.findIndex((v, k) => v !== expected[k]);
  assert.equal(i, -1, `${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
}

/** Asserts bit-identical floats (so -0 ≠ 0), naming the first difference. */
export function assertSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  const i = a.findIndex((v, k) => v !== e[k]);
  assert.equal(i, -1, `${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
}
