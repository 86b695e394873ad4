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

/**
 * Times model.wasm's matrix products per weight type in the model: the matrix-vector product over all the type's
 * matrices (the LM head included; they stream from memory as in decode), and a MATMUL_TOKENS-token product over the
 * type's layer matrices. The activations (encoded once, outside the timing) are a fixed row of moderate values.
 * Allocates its scratch in the arena (a few MB): call it after the timed runs. Only matrices in the main arena are
 * measured (model.wasm runs there); a model whose matrices are spread over weight shards reports none.
 */
export function measureKernels(model: Model): KernelThroughput[] {
  const wasm = model.wasm;
  if (!wasm) return [];
  const w = model.weights;
  const inMain = (m: Matrix) => m.shard === undefined;
  const layerMats = w.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown]).filter(inMain);
  const all = [...layerMats, w.output].filter(inMain);
  if (all.length === 0) return [];
  const types = [...new Set(all.map((m) => m.type))].filter((t) => wasm.supports(t));
  const arena = model.arena;
  const maxCols = Math.max(...all.map((m) => m.cols));
  const maxRows = Math.max(...all.map((m) => m.rows));
  const maxLayerRows = Math.max(...layerMats.map((m) => m.rows));
  const xPtr = arena.alloc(maxCols * 4);
  const outPtr = arena.alloc(Math.max(maxRows, MATMUL_TOKENS * maxLayerRows) * 4);
  const heap = arena.heapF32;
  for (let i = 0; i < maxCols; i++) heap[(xPtr >>> 2) + i] = Math.sin(i * 0.37) * 2;

  /** MATMUL_TOKENS copies of the random row encoded for products with `m`'s type and width, in new arena scratch. */
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
  /** Seconds per pass of `run` (repeated until MIN_MS), after one untimed pass. */
  const time = (run: () => void): number => {
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
  };

  const results: KernelThroughput[] = [];
  for (const type of types) {
    const mats = all.filter((m) => m.type === type);
    // the tied embedding doubles as the LM head: count its bytes once
    const unique = [...new Set(mats)];
    const acts = new Map<number, number>();
    for (const m of unique) if (!acts.has(m.cols)) acts.set(m.cols, encode(m));
    const bytes = unique.reduce((s, m) => s + m.rows * m.rowBytes, 0);
    const macs = unique.reduce((s, m) => s + m.rows * m.cols, 0);
    const matvec = time(() => {
      for (const m of unique) wasm.matmul(m.type, m.ptr, m.rows, m.cols, acts.get(m.cols)!, 1, outPtr);
    });
    const layer = layerMats.filter((m) => m.type === type);
    let matmulGflops: number | undefined;
    if (layer.length > 0) {
      const layerMacs = layer.reduce((s, m) => s + m.rows * m.cols, 0) * MATMUL_TOKENS;
      const seconds = time(() => {
        for (const m of layer) wasm.matmul(m.type, m.ptr, m.rows, m.cols, acts.get(m.cols)!, MATMUL_TOKENS, outPtr);
      });
      matmulGflops = (2 * layerMacs) / seconds / 1e9;
    }
    results.push({
      type: typeName(type),
      matrices: unique.length,
      bytes,
      matvec_gb_s: bytes / matvec / 1e9,
      matvec_gflop_s: (2 * macs) / matvec / 1e9,
      ...(matmulGflops === undefined ? {} : { matmul_gflop_s: matmulGflops }),
    });
  }
  return results;
}
