import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Arena } from "../../src/kernels/arena.js";
import { createWasmKernels, type WasmKernels } from "../../src/kernels/wasm/index.js";
import type { KernelPool } from "../../src/kernels/wasm/pool.js";
import { createNodeKernelPool } from "../../src/platform/node/worker-pool.js";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { GgmlType } from "../../src/quant/types.js";
import { Random, randomActivations, randomWeights } from "./wasm-random-blocks.js";

/*
 * One thread pool over several memories (a model beyond 4 GiB, model/weight-placement.ts): its threads hold a
 * kernel instance per memory, and a job on memory i must read and write memory i only, with the results of a
 * single-threaded instance on that memory bit for bit.
 */

describe("WebAssembly kernel thread pool over several memories", () => {
  const arenas = [0, 1, 2].map(() => new Arena({ initialBytes: 4 << 20, shared: true }));
  let singles: WasmKernels[];
  let pool: KernelPool;

  before(async () => {
    singles = await Promise.all(arenas.map((a) => createWasmKernels(a.memory)));
    pool = await createNodeKernelPool(arenas.map((a) => a.memory), 3, { minWorkPerThread: 0, spin: 2000 });
  });
  after(async () => {
    await pool.close();
  });

  it("a matmul on each memory equals the single-threaded kernels' on it, and leaves the others alone", () => {
    const type = GgmlType.Q8_0;
    const rows = 130;
    const cols = 256;
    const actBytes = activationRowBytes(type, cols);
    const rng = new Random(5);
    // The same addresses in every memory, different weights: a job on the wrong memory cannot pass.
    const layout = arenas.map((arena) => {
      const weights = randomWeights(type, rows, cols, rng);
      const w = arena.alloc(weights.length);
      arena.heapU8.set(weights, w);
      const act = arena.alloc(2 * actBytes);
      for (let t = 0; t < 2; t++) quantizeActivationRow(vecDotType(type), randomActivations(cols, rng), 0, cols, arena.heapU8, act + t * actBytes);
      return { w, act, a: arena.alloc(2 * rows * 4), b: arena.alloc(2 * rows * 4) };
    });
    assert.ok(layout.every((l) => l.w === layout[0]!.w && l.b === layout[0]!.b));
    arenas.forEach((arena, i) => {
      const { w, act, a, b } = layout[i]!;
      const untouched = arenas.map((other, j) => (j === i ? undefined : other.heapU8.slice()));
      singles[i]!.matmul(type, w, rows, cols, act, 2, a);
      pool.forMemory(i).matmul(type, w, rows, cols, act, 2, b);
      const x = arena.f32(a, 2 * rows);
      const y = arena.f32(b, 2 * rows);
      for (let k = 0; k < x.length; k++) assert.ok(Object.is(x[k], y[k]), `memory ${i}, output ${k}: single ${x[k]}, pool ${y[k]}`);
      arenas.forEach((other, j) => {
        if (j !== i) assert.ok(Buffer.from(other.heapU8).equals(Buffer.from(untouched[j]!)), `a job on memory ${i} wrote memory ${j}`);
      });
    });
    assert.equal(pool.forMemory(1).memory, arenas[1]!.memory);
    assert.throws(() => pool.forMemory(3), /has 3 memories/);
  });
});
