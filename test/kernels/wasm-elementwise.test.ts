import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Arena } from "../../src/kernels/arena.js";
import { geglu } from "../../src/kernels/ref/gelu.js";
import { rmsNorm } from "../../src/kernels/ref/norm.js";
import { addInPlace } from "../../src/kernels/ref/residual.js";
import { ropeAngles, ropeApply } from "../../src/kernels/ref/rope.js";
import { createWasmElementwise, type ElementwiseKernels } from "../../src/kernels/wasm-elementwise.js";
import { createWasmKernels } from "../../src/kernels/wasm/index.js";
import { Random, randomFloats } from "./wasm-random-blocks.js";

/*
 * The WebAssembly elementwise passes (kernels/assembly/elementwise.ts) against their reference twins in
 * src/kernels/ref (norm.ts, rope.ts, gelu.ts, residual.ts) on random inputs: every output float must be the same
 * bits (NaN as NaN). Sizes include odd ones and ones below the SIMD width, so the scalar tails are covered; GELU
 * inputs include the ±10 pass-through bounds, f16 subnormals, overflow to f16 infinity, infinities and NaN.
 */

const MAX_HEAD_DIM = 256;

function assertSameFloats(heap: Float32Array, got: number, want: number, n: number, what: string): void {
  const bits = new Uint32Array(heap.buffer, heap.byteOffset, heap.length);
  for (let i = 0; i < n; i++) {
    const g = heap[got + i]!;
    const w = heap[want + i]!;
    if (Number.isNaN(g) && Number.isNaN(w)) continue;
    assert.equal(bits[got + i], bits[want + i], `${what}: element ${i}: ${g} vs ${w}`);
  }
}

describe("WebAssembly elementwise passes vs the reference twins", () => {
  const arena = new Arena({ initialBytes: 4 << 20 });
  let wasm: ElementwiseKernels;
  const A = arena.alloc(8192 * 4) / 4;
  const B = arena.alloc(8192 * 4) / 4;
  const W = arena.alloc(8192 * 4) / 4;
  const U = arena.alloc(8192 * 4) / 4;
  before(async () => {
    wasm = createWasmElementwise(arena, await createWasmKernels(arena.memory), MAX_HEAD_DIM);
  });

  for (const n of [1, 3, 4, 7, 16, 33, 256, 640, 1153]) {
    it(`rmsNorm over ${n} floats, out of place and in place`, () => {
      const heap = arena.heapF32;
      const rng = new Random(n);
      for (const eps of [1e-6, 1e-5]) {
        randomFloats(heap, A, n, rng, 40);
        randomFloats(heap, W, n, rng, 3);
        heap.copyWithin(B, A, A + n);
        rmsNorm(heap, A, W, U, n, eps);
        wasm.rmsNorm(heap, B, W, A + 4096, n, eps);
        assertSameFloats(heap, A + 4096, U, n, "out of place");
        rmsNorm(heap, A, W, A, n, eps);
        wasm.rmsNorm(heap, B, W, B, n, eps);
        assertSameFloats(heap, B, A, n, "in place");
      }
    });
  }

  for (const [nHeads, headDim] of [[1, 2], [3, 6], [2, 10], [4, 128], [3, 256]] as const) {
    it(`ropeApply on ${nHeads} heads of ${headDim}`, () => {
      const heap = arena.heapF32;
      const rng = new Random(nHeads * 1000 + headDim);
      const cos = new Float32Array(headDim / 2);
      const sin = new Float32Array(headDim / 2);
      for (const pos of [0, 1, 37, 4099, 131071]) {
        ropeAngles(cos, sin, pos, headDim, pos % 2 ? 10000 : 1000000, pos % 3 ? 1 : 0.125);
        randomFloats(heap, A, nHeads * headDim, rng, 20);
        heap.copyWithin(B, A, A + nHeads * headDim);
        ropeApply(heap, A, nHeads, headDim, cos, sin);
        wasm.ropeApply(heap, B, nHeads, headDim, cos, sin);
        assertSameFloats(heap, B, A, nHeads * headDim, `position ${pos}`);
      }
    });
  }

  const SPECIAL = [0, -0, 10, -10, Math.fround(9.999), -Math.fround(9.999), 10.5, -10.5, 1e-7, -3e-6, 65520, -70000, Infinity, -Infinity, NaN];
  for (const [fp16, name, seed] of [[true, "the f16 table", 7], [false, "tanh", 13]] as const) {
    for (const n of [1, 5, 8, 999, 4096]) {
      it(`geglu with ${name} over ${n} floats`, () => {
        const heap = arena.heapF32;
        const rng = new Random(seed * n);
        randomFloats(heap, A, n, rng, 12);
        randomFloats(heap, U, n, rng, 4);
        for (let i = 0; i < n; i += 3) heap[A + i] = SPECIAL[(i / 3) % SPECIAL.length]!;
        heap.copyWithin(B, A, A + n);
        geglu(heap, A, U, n, fp16);
        wasm.geglu(heap, B, U, n, fp16);
        assertSameFloats(heap, B, A, n, `${name} geglu`);
      });
    }
  }

  for (const n of [1, 3, 4, 6, 17, 640, 4097]) {
    it(`addInPlace over ${n} floats`, () => {
      const heap = arena.heapF32;
      const rng = new Random(11 * n);
      randomFloats(heap, A, n, rng, 1e4);
      randomFloats(heap, U, n, rng, 1);
      heap[U] = -heap[A]!;
      heap.copyWithin(B, A, A + n);
      addInPlace(heap, A, U, n);
      wasm.addInPlace(heap, B, U, n);
      assertSameFloats(heap, B, A, n, "add");
    });
  }
});
