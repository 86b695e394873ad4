import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Arena } from "../../src/kernels/arena.js";
import { createWasmKernels, supportsWasmSimd, type WasmKernels } from "../../src/kernels/wasm/index.js";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { vecDot } from "../../src/quant/dot.js";
import { GgmlType, rowBytes, typeName } from "../../src/quant/types.js";
import { isGemmaError } from "../../src/util/errors.js";
import { Random, randomActivations, randomWeights } from "./wasm-random-blocks.js";

/*
 * The WebAssembly kernels against their reference twins in src/quant: activation encodings byte for
 * byte, and every matrix product output against vecDot on the same bytes. Quantized types reproduce the
 * reference's integer sums and f32 operation order, so they must be bit-identical; the float types sum
 * in f64 lanes (the reference sums sequentially in f64), so they may differ by the last f32 bit.
 */

const QUANTIZED: readonly number[] = [
  GgmlType.Q8_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_1,
  GgmlType.Q5_K, GgmlType.Q3_K, GgmlType.Q2_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS,
];
const FLOATS: readonly number[] = [GgmlType.F32, GgmlType.F16, GgmlType.BF16];
const SUPERBLOCK = new Set<number>([GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS]);

interface Shape {
  readonly rows: number;
  readonly cols: number;
  readonly nTok: number;
  /** The row range to compute, default all. */
  readonly range?: readonly [number, number];
}

/** Shapes per type: cols 640 (not a multiple of 256, so 768 for super-blocks), 1024, 2048; odd row counts; 1, 3, 8, 17 tokens. */
function shapes(type: number): Shape[] {
  const narrow = SUPERBLOCK.has(type) ? 768 : 640;
  const list: Shape[] = [
    { rows: 37, cols: narrow, nTok: 1 },
    { rows: 10, cols: 1024, nTok: 3 },
    { rows: 7, cols: 2048, nTok: 8 },
    { rows: 6, cols: narrow, nTok: 17 },
    { rows: 29, cols: 1024, nTok: 2, range: [5, 26] },
    { rows: 13, cols: narrow, nTok: 1, range: [3, 10] },
  ];
  if (FLOATS.includes(type)) list.push({ rows: 5, cols: 37, nTok: 5 }, { rows: 9, cols: 3, nTok: 1 });
  return list;
}

/** Copies `bytes` into the arena and returns the address. */
function put(arena: Arena, bytes: Uint8Array): number {
  const ptr = arena.alloc(bytes.length);
  arena.heapU8.set(bytes, ptr);
  return ptr;
}

function putFloats(arena: Arena, x: Float32Array): number {
  const ptr = arena.alloc(x.byteLength);
  arena.heapF32.set(x, ptr >>> 2);
  return ptr;
}

/** Runs one shape through the kernels and checks it against vecDot; returns how many outputs were bit-identical. */
function checkShape(kernels: WasmKernels, arena: Arena, type: number, shape: Shape, rng: Random): { same: number; total: number } {
  const { rows, cols, nTok } = shape;
  const [rowBegin, rowEnd] = shape.range ?? [0, rows];
  const label = `${typeName(type)} ${rows}x${cols}, ${nTok} tokens, rows ${rowBegin}..${rowEnd}`;
  const weights = randomWeights(type, rows, cols, rng);
  const wPtr = put(arena, weights);
  const actType = vecDotType(type);
  const actBytes = activationRowBytes(type, cols);
  const refAct = new Uint8Array(nTok * actBytes);
  const actPtr = arena.alloc(nTok * actBytes);
  const xs: Float32Array[] = [];
  for (let t = 0; t < nTok; t++) {
    const x = randomActivations(cols, rng);
    xs.push(x);
    quantizeActivationRow(actType, x, 0, cols, refAct, t * actBytes);
  }
  if (actType === GgmlType.Q8_0 || actType === GgmlType.Q8_1 || actType === GgmlType.Q8_K) {
    for (let t = 0; t < nTok; t++) kernels.quantizeActivations(actType, putFloats(arena, xs[t]!), cols, actPtr + t * actBytes);
    assert.deepEqual(arena.u8(actPtr, nTok * actBytes), refAct, `${label}: activation bytes`);
  } else {
    arena.heapU8.set(refAct, actPtr);
  }

  const outPtr = arena.alloc(nTok * rows * 4);
  const sentinel = -12345.5;
  arena.f32(outPtr, nTok * rows).fill(sentinel);
  kernels.matmul(type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin, rowEnd);
  const out = arena.f32(outPtr, nTok * rows);
  let same = 0;
  for (let t = 0; t < nTok; t++) {
    for (let r = 0; r < rows; r++) {
      const got = out[t * rows + r]!;
      if (r < rowBegin || r >= rowEnd) {
        assert.equal(got, sentinel, `${label}: row ${r} outside the range was written`);
        continue;
      }
      const want = vecDot(type, cols, weights, r * rowBytes(type, cols), refAct, t * actBytes);
      if (Object.is(got, want)) {
        same++;
        continue;
      }
      assert.ok(
        FLOATS.includes(type) && Math.abs(got - want) <= 1e-5 * Math.abs(want),
        `${label}: token ${t} row ${r}: wasm ${got}, reference ${want}`,
      );
    }
  }
  return { same, total: nTok * (rowEnd - rowBegin) };
}

describe("WebAssembly kernels vs the reference twins", () => {
  it("detects WebAssembly SIMD", () => {
    assert.equal(supportsWasmSimd(), true);
  });

  for (const type of [...QUANTIZED, ...FLOATS]) {
    it(`${typeName(type)} matmul equals vecDot`, async () => {
      const arena = new Arena({ initialBytes: 1 << 20 });
      const kernels = await createWasmKernels(arena.memory);
      const rng = new Random(0x9e3779b9 ^ type);
      let same = 0;
      let total = 0;
      for (const shape of shapes(type)) {
        const r = checkShape(kernels, arena, type, shape, rng);
        same += r.same;
        total += r.total;
      }
      if (!FLOATS.includes(type)) assert.equal(same, total);
    });
  }

  it("converts every half-precision value exactly (F16 rows against one-hot activations)", async () => {
    const arena = new Arena({ initialBytes: 4 << 20 });
    const kernels = await createWasmKernels(arena.memory);
    // cols 8 reads weights 4 at a time (the vector conversion), cols 3 one at a time (the scalar one).
    for (const cols of [8, 3]) {
      const rows = Math.ceil(65536 / cols);
      const weights = new Uint8Array(rows * cols * 2);
      for (let i = 0; i < rows * cols; i++) weights[2 * i] = i & 0xff, weights[2 * i + 1] = (i >> 8) & 0xff;
      const wPtr = put(arena, weights);
      const act = new Uint8Array(cols * cols * 2);
      for (let t = 0; t < cols; t++) act[2 * (t * cols + t) + 1] = 0x3c; // 1.0 at position t of token t
      const actPtr = put(arena, act);
      const outPtr = arena.alloc(cols * rows * 4);
      kernels.matmul(GgmlType.F16, wPtr, rows, cols, actPtr, cols, outPtr);
      const out = arena.f32(outPtr, cols * rows);
      for (let t = 0; t < cols; t++) {
        for (let r = 0; r < rows; r++) {
          const want = vecDot(GgmlType.F16, cols, weights, r * cols * 2, act, t * cols * 2);
          assert.ok(Object.is(out[t * rows + r], want), `cols ${cols}, token ${t}, row ${r}: wasm ${out[t * rows + r]}, reference ${want}`);
        }
      }
    }
  });

  it("gives the same results on a shared memory", async () => {
    const arena = new Arena({ initialBytes: 1 << 20, shared: true });
    const kernels = await createWasmKernels(arena.memory);
    const rng = new Random(7);
    for (const type of [GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.F32]) {
      const r = checkShape(kernels, arena, type, { rows: 9, cols: 1024, nTok: 5 }, rng);
      if (type !== GgmlType.F32) assert.equal(r.same, r.total);
    }
  });

  it("refuses unsupported types and out-of-memory spans with GemmaErrors", async () => {
    const arena = new Arena({ initialBytes: 1 << 16 });
    const kernels = await createWasmKernels(arena.memory);
    const expect = (code: string) => (e: unknown) => isGemmaError(e) && e.code === code;
    assert.throws(() => kernels.matmul(GgmlType.Q8_K, 64, 1, 256, 64, 1, 64), expect("UNSUPPORTED_TENSOR_TYPE"));
    assert.throws(() => kernels.matmul(GgmlType.Q8_0, 64, 1, 40, 64, 1, 64), expect("BAD_TENSOR_SHAPE"));
    assert.throws(() => kernels.matmul(GgmlType.Q8_0, 1 << 16, 4, 32, 64, 1, 64), expect("BAD_TENSOR_SHAPE"));
    assert.throws(() => kernels.matmul(GgmlType.Q8_0, 64, 4, 32, 64, 1, 64, 2, 5), expect("BAD_TENSOR_SHAPE"));
    assert.throws(() => kernels.quantizeActivations(GgmlType.F16, 64, 32, 1024), expect("UNSUPPORTED_TENSOR_TYPE"));
    assert.throws(() => kernels.quantizeActivations(GgmlType.Q8_0, 64, 33, 1024), expect("BAD_TENSOR_SHAPE"));
  });
});
