import type { Matrix } from "../model/weights.js";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../quant/activations.js";
import { GgmlType } from "../quant/types.js";
import type { Arena } from "./arena.js";
import type { Kernels } from "./kernels.js";
import { createRefKernels } from "./ref/matmul.js";
import { createWasmAttention, type AttentionPlan } from "./wasm-attention.js";
import { createWasmElementwise } from "./wasm-elementwise.js";
import type { WasmKernels } from "./wasm/index.js";

/**
 * Matrix products on the WebAssembly kernels (one thread, or a worker pool behind the same interface): the
 * activation rows are encoded once per product, then every (row, token) dot runs in WebAssembly. Weight types the
 * kernels do not cover fall back to the reference twin. Attention runs its dot products in WebAssembly
 * (wasm-attention.ts) for head sizes that are a multiple of 4, else on the reference; the elementwise passes run in
 * WebAssembly too (wasm-elementwise.ts).
 */
export function createWasmMatmulKernels(arena: Arena, wasm: WasmKernels, maxActivationBytes: number, attentionPlan: AttentionPlan): Kernels {
  const scratch = arena.alloc(maxActivationBytes);
  const ref = createRefKernels(arena, maxActivationBytes);
  const attention = attentionPlan.headDim % 4 === 0 ? createWasmAttention(arena, wasm, attentionPlan) : ref.attention;
  return {
    name: "wasm",
    attention,
    ...createWasmElementwise(arena, wasm, attentionPlan.headDim),
    matmul(w: Matrix, x: number, nTok: number, y: number): void {
      if (!wasm.supports(w.type)) return ref.matmul(w, x, nTok, y);
      const actType = vecDotType(w.type);
      let act = x * 4;
      if (actType !== GgmlType.F32) {
        const actBytes = activationRowBytes(w.type, w.cols);
        act = scratch;
        for (let t = 0; t < nTok; t++) {
          const xt = x + t * w.cols;
          if (actType === GgmlType.F16 || actType === GgmlType.BF16) {
            quantizeActivationRow(actType, arena.heapF32, xt, w.cols, arena.heapU8, scratch + t * actBytes);
          } else {
            wasm.quantizeActivations(actType, xt * 4, w.cols, scratch + t * actBytes);
          }
        }
      }
      wasm.matmul(w.type, w.ptr, w.rows, w.cols, act, nTok, y * 4);
    },
  };
}
