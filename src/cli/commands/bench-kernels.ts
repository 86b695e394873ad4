import type { Model } from "../../model/model.js";
import type { Matrix } from "../../model/weights.js";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../quant/activations.js";
import { GgmlType, typeName } from "../../quant/types.js";

/** Throughput of the matrix kernels on the model's own matrices of one weight type. */
export interface KernelThroughput {
  readonly type: string;
  /** How many of the model's matrices have this type, and their bytes. */
  readonly matrices: number;
  readonly bytes: number;
  /** One token against every matrix of the type (decode): weight bytes per second, and multiply-adds as FLOP. */
  readonly matvec_gb_s: number;
  readonly matvec_gflop_s: number;
  /** MATMUL_TOKENS tokens against the type's layer matrices (prefill); absent when only the LM head has the type. */
  readonly matmul_gflop_s?: number;
}

/** Tokens of the matrix-matrix measurement (a prefill batch is cut into tiles of 4 tokens: any multiple behaves alike). */
export const MATMUL_TOKENS = 64;
/** Each measurement repeats until it has run this long. */
const MIN_MS = 300;

/** Seconds and work of one weight type's products, summed over the memories holding its matrices. */
interface TypeTotals {
  matrices: number;
  bytes: number;
  macs: number;
  matvecSeconds: number;
  layerMacs: number;
  matmulSeconds: number;
}

/** Seconds per pass of `run` (repeated until MIN_MS), after one untimed pass. */
function time(run: () => void): number {
  run();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    run();
    n++;
    t = performance.now();
  } while (t - t0 < MIN_MS);
  return (t - t0) / n / 1000;
}

/**
 * Times the matrix products per weight type on the model's own matrices: the matrix-vector product over all the
 * type's matrices (the LM head included; they stream from memory as in decode), and a MATMUL_TOKENS-token product
 * over the type's layer matrices. Each memory's matrices run on that memory's kernels (the main arena's, or a weight
 * shard's), and the times add up. The activations (encoded once, outside the timing) are a fixed row of moderate
 * values. Allocates its scratch in each arena (a few MB): call it after the timed runs.
 */
export function measureKernels(model: Model): KernelThroughput[] {
  const w = model.weights;
  const layerMats = new Set(w.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown]));
  // the tied embedding doubles as the LM head: a Set counts its bytes once
  const all = [...new Set([...layerMats, w.output])];
  const memories = [{ arena: model.arena, wasm: model.wasm }, ...(model.shards ?? [])];
  const totals = new Map<number, TypeTotals>();
  memories.forEach(({ arena, wasm }, i) => {
    const mats = all.filter((m) => (m.shard ?? -1) === i - 1);
    if (wasm === undefined || mats.length === 0) return;
    const maxCols = Math.max(...mats.map((m) => m.cols));
    const xPtr = arena.alloc(maxCols * 4);
    const layerRows = mats.filter((m) => layerMats.has(m)).map((m) => m.rows);
    const outPtr = arena.alloc(Math.max(...mats.map((m) => m.rows), MATMUL_TOKENS * Math.max(0, ...layerRows)) * 4);
    for (let c = 0; c < maxCols; c++) arena.heapF32[(xPtr >>> 2) + c] = Math.sin(c * 0.37) * 2;
    /** MATMUL_TOKENS copies of the row encoded for products with `m`'s type and width, in new arena scratch. */
    const encode = (m: Matrix): number => {
      const actType = vecDotType(m.type);
      const rowBytes = activationRowBytes(m.type, m.cols);
      const actPtr = arena.alloc(MATMUL_TOKENS * rowBytes);
      for (let t = 0; t < MATMUL_TOKENS; t++) {
        const at = actPtr + t * rowBytes;
        if (actType === GgmlType.F32) {
          arena.heapF32.copyWithin(at >>> 2, xPtr >>> 2, (xPtr >>> 2) + m.cols);
        } else if (actType === GgmlType.F16 || actType === GgmlType.BF16) {
          quantizeActivationRow(actType, arena.heapF32, xPtr >>> 2, m.cols, arena.heapU8, at);
        } else {
          wasm.quantizeActivations(actType, xPtr, m.cols, at);
        }
      }
      return actPtr;
    };
    for (const type of new Set(mats.map((m) => m.type))) {
      if (!wasm.supports(type)) continue;
      const ofType = mats.filter((m) => m.type === type);
      const acts = new Map<string, number>();
      const actsOf = (m: Matrix) => acts.get(`${m.type}:${m.cols}`)!;
      for (const m of ofType) if (!acts.has(`${m.type}:${m.cols}`)) acts.set(`${m.type}:${m.cols}`, encode(m));
      const t = totals.get(type) ?? { matrices: 0, bytes: 0, macs: 0, matvecSeconds: 0, layerMacs: 0, matmulSeconds: 0 };
      t.matrices += ofType.length;
      t.bytes += ofType.reduce((sum, m) => sum + m.rows * m.rowBytes, 0);
      t.macs += ofType.reduce((sum, m) => sum + m.rows * m.cols, 0);
      t.matvecSeconds += time(() => {
        for (const m of ofType) wasm.matmul(m.type, m.ptr, m.rows, m.cols, actsOf(m), 1, outPtr);
      });
      const layer = ofType.filter((m) => layerMats.has(m));
      if (layer.length > 0) {
        t.layerMacs += layer.reduce((sum, m) => sum + m.rows * m.cols, 0) * MATMUL_TOKENS;
        t.matmulSeconds += time(() => {
          for (const m of layer) wasm.matmul(m.type, m.ptr, m.rows, m.cols, actsOf(m), MATMUL_TOKENS, outPtr);
        });
      }
      totals.set(type, t);
    }
  });
  return [...totals].map(([type, t]) => ({
    type: typeName(type),
    matrices: t.matrices,
    bytes: t.bytes,
    matvec_gb_s: t.bytes / t.matvecSeconds / 1e9,
    matvec_gflop_s: (2 * t.macs) / t.matvecSeconds / 1e9,
    ...(t.layerMacs === 0 ? {} : { matmul_gflop_s: (2 * t.layerMacs) / t.matmulSeconds / 1e9 }),
  }));
}
