import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Arena } from "../../src/kernels/arena.js";
import { createWasmKernels, type WasmKernels } from "../../src/kernels/wasm/index.js";
import { KernelPool } from "../../src/kernels/wasm/pool.js";
import { createNodeKernelPool } from "../../src/platform/node/worker-pool.js";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { GgmlType, typeName } from "../../src/quant/types.js";
import { isGemmaError } from "../../src/util/errors.js";
import { Random, randomActivations, randomWeights } from "./wasm-random-blocks.js";

/*
 * The worker pool cuts each matmul's rows into chunks that the threads claim; every row is computed by
 * the same kernel code, so the results must equal the single-threaded kernels' bit for bit.
 */

describe("WebAssembly kernel thread pool", () => {
  const arena = new Arena({ initialBytes: 8 << 20, shared: true });
  let single: WasmKernels;
  let pool: KernelPool;

  before(async () => {
    single = await createWasmKernels(arena.memory);
    // Three threads on any machine, every job split (no minimum), short spins so that workers also sleep.
    pool = await createNodeKernelPool(arena.memory, 3, { minWorkPerThread: 0, spin: 2000 });
  });
  after(async () => {
    await pool.close();
  });

  for (const type of [GgmlType.Q8_0, GgmlType.Q5_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.F32]) {
    it(`${typeName(type)}: pool results equal single-thread results`, () => {
      const rng = new Random(31 + type);
      const rows = 203;
      const cols = 512;
      const weights = randomWeights(type, rows, cols, rng);
      const wPtr = arena.alloc(weights.length);
      arena.heapU8.set(weights, wPtr);
      const actBytes = activationRowBytes(type, cols);
      const nMax = 6;
      const actPtr = arena.alloc(nMax * actBytes);
      for (let t = 0; t < nMax; t++) {
        quantizeActivationRow(vecDotType(type), randomActivations(cols, rng), 0, cols, arena.heapU8, actPtr + t * actBytes);
      }
      const a = arena.alloc(nMax * rows * 4);
      const b = arena.alloc(nMax * rows * 4);
      for (const [nTok, begin, end] of [[1, 0, rows], [6, 0, rows], [3, 17, 190], [1, 50, 53], [2, 10, 10]] as const) {
        arena.f32(a, nMax * rows).fill(-1.5);
        arena.f32(b, nMax * rows).fill(-1.5);
        single.matmul(type, wPtr, rows, cols, actPtr, nTok, a, begin, end);
        pool.matmul(type, wPtr, rows, cols, actPtr, nTok, b, begin, end);
        const x = arena.f32(a, nTok * rows);
        const y = arena.f32(b, nTok * rows);
        for (let i = 0; i < x.length; i++) {
          assert.ok(Object.is(x[i], y[i]), `${nTok} tokens, rows ${begin}..${end}: output ${i}: single ${x[i]}, pool ${y[i]}`);
        }
      }
    });
  }

  it("tanh GeGLU: pool results equal single-thread results", () => {
    const rng = new Random(77);
    for (const n of [5, 4096 * 3 - 1, 70_001]) {
      const gate = randomActivations(n, rng).map((v) => v * 4);
      const up = randomActivations(n, rng);
      const [a, b, u] = [arena.alloc(n * 4), arena.alloc(n * 4), arena.alloc(n * 4)];
      arena.f32(a, n).set(gate);
      arena.f32(b, n).set(gate);
      arena.f32(u, n).set(up);
      single.gegluTanh(a, u, n);
      pool.gegluTanh(b, u, n);
      const x = arena.f32(a, n);
      const y = arena.f32(b, n);
      for (let i = 0; i < n; i++) assert.ok(Object.is(x[i], y[i]), `${n} floats: output ${i}: single ${x[i]}, pool ${y[i]}`);
    }
  });

  it("serves many jobs in a row, with workers waking from sleep", async () => {
    const type = GgmlType.Q8_0;
    const rng = new Random(99);
    const rows = 64;
    const cols = 256;
    const weights = randomWeights(type, rows, cols, rng);
    const wPtr = arena.alloc(weights.length);
    arena.heapU8.set(weights, wPtr);
    const actPtr = arena.alloc(activationRowBytes(type, cols));
    const a = arena.alloc(rows * 4);
    const b = arena.alloc(rows * 4);
    for (let job = 0; job < 200; job++) {
      if (job % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      quantizeActivationRow(GgmlType.Q8_0, randomActivations(cols, rng), 0, cols, arena.heapU8, actPtr);
      single.matmul(type, wPtr, rows, cols, actPtr, 1, a);
      pool.matmul(type, wPtr, rows, cols, actPtr, 1, b);
      assert.deepEqual(arena.f32(b, rows), arena.f32(a, rows), `job ${job}`);
    }
  });

  it("checks arguments on the calling thread and refuses an unshared memory", async () => {
    const expect = (code: string) => (e: unknown) => isGemmaError(e) && e.code === code;
    assert.throws(() => pool.matmul(GgmlType.Q8_0, 64, 4, 32, 1 << 30, 1, 64), expect("BAD_TENSOR_SHAPE"));
    assert.throws(() => pool.matmul(GgmlType.IQ2_XS, 64, 4, 256, 64, 1, 64), expect("UNSUPPORTED_TENSOR_TYPE"));
    await assert.rejects(createNodeKernelPool(new Arena().memory, 2), expect("MODEL_BAD_CONFIG"));
  });
});
