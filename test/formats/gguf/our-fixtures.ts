// Inputs for our writer shared by the tests and by scripts/ref/gguf-ours.ts (which writes
// test/golden/gguf/ours-edge.gguf from them and has gguf-py report on it).
import { GgmlType, typeTraits } from "../../../src/quant/types.js";
import { type GgufEntry, type GgufWriteTensor, ggufArray, ggufValue } from "../../../src/formats/gguf/index.js";

/** Deterministic bytes (xorshift32) so fixtures are reproducible. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function tensorBytes(type: number, dims: readonly number[]): number {
  const t = typeTraits(type)!;
  return (dims.reduce((a, b) => a * b, 1) / t.blockSize) * t.typeSize;
}

function tensor(name: string, type: number, dims: number[], seed: number): GgufWriteTensor {
  return { name, type, dims, data: pseudoRandomBytes(tensorBytes(type, dims), seed) };
}

/** What gguf-py cannot write: empty arrays of every kind, empty nested arrays, a 64-byte alignment. */
export function edgeCaseModel(): { entries: [string, GgufEntry][]; tensors: GgufWriteTensor[]; alignment: number } {
  const entries: [string, GgufEntry][] = [
    ["general.architecture", ggufValue.string("edge")],
    ["e.empty.string", ggufValue.string("")],
    ["e.arr.u8", ggufValue.array(ggufArray.u8([]))],
    ["e.arr.i8", ggufValue.array(ggufArray.i8([]))],
    ["e.arr.u16", ggufValue.array(ggufArray.u16([]))],
    ["e.arr.i16", ggufValue.array(ggufArray.i16([]))],
    ["e.arr.u32", ggufValue.array(ggufArray.u32([]))],
    ["e.arr.i32", ggufValue.array(ggufArray.i32([]))],
    ["e.arr.f32", ggufValue.array(ggufArray.f32([]))],
    ["e.arr.bool", ggufValue.array(ggufArray.bool([]))],
    ["e.arr.string", ggufValue.array(ggufArray.string([]))],
    ["e.arr.array", ggufValue.array(ggufArray.array([]))],
    ["e.arr.u64", ggufValue.array(ggufArray.u64([]))],
    ["e.arr.i64", ggufValue.array(ggufArray.i64([]))],
    ["e.arr.f64", ggufValue.array(ggufArray.f64([]))],
    ["e.arr.nested.empty", ggufValue.array(ggufArray.array([ggufArray.i32([]), ggufArray.string([""]), ggufArray.array([])]))],
    ["e.u64.big", ggufValue.u64(2n ** 63n + 12345n)],
    ["e.i64.min", ggufValue.i64(-(2n ** 63n))],
    ["e.f32.tiny", ggufValue.f32(1e-45)],
    ["e.f64.negzero", ggufValue.f64(-0)],
    ["e.utf8", ggufValue.string("\ufeff▁ü\u{1F600}\u0000end")],
  ];
  const tensors = [
    tensor("t.f32", GgmlType.F32, [5, 3], 1),
    tensor("t.q4_0", GgmlType.Q4_0, [64], 2),
    tensor("t.q4_k", GgmlType.Q4_K, [256, 1, 2], 3),
    tensor("t.iq2_xxs", GgmlType.IQ2_XXS, [256], 4),
    tensor("t.f16", GgmlType.F16, [1, 1, 1, 7], 5),
  ];
  return { entries, tensors, alignment: 64 };
}
