import type { Matrix } from "../model/weights.js";
import type { Arena } from "./arena.js";
import type { Kernels } from "./kernels.js";

/** The kernels of one weight shard and the f32 rows its products read and write in its own arena. */
export interface ShardKernels {
  readonly arena: Arena;
  readonly kernels: Kernels;
  /** Float index of the input rows [maxBatch, widest cols]. */
  readonly x: number;
  /** Float index of the output rows [maxBatch, most rows]. */
  readonly y: number;
}

/**
 * Kernels for a model whose matrices are spread over several WebAssembly memories (model/weight-placement.ts). A
 * product with a matrix of the main arena runs as before; one with a shard's matrix copies its f32 input rows into
 * that shard, runs there (the activations are encoded there, as the single-arena path would), and copies the result
 * rows back. The copies are nTok · (cols + rows) floats against rows · cols weights read, and the results are the
 * same bits as in one arena.
 */
export function createShardedKernels(arena: Arena, main: Kernels, shards: readonly ShardKernels[]): Kernels {
  return {
    ...main,
    matmul(w: Matrix, x: number, nTok: number, y: number): void {
      if (w.shard === undefined) return main.matmul(w, x, nTok, y);
      const s = shards[w.shard]!;
      copyFloats(arena.heapF32, x, s.arena.heapF32, s.x, nTok * w.cols);
      s.kernels.matmul(w, s.x, nTok, s.y);
      copyFloats(s.arena.heapF32, s.y, arena.heapF32, y, nTok * w.rows);
    },
  };
}

function copyFloats(from: Float32Array, src: number, to: Float32Array, dst: number, n: number): void {
  for (let i = 0; i < n; i++) to[dst + i] = from[src + i]!;
}
