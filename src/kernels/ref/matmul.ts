import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../quant/activations.js";
import { vecDot } from "../../quant/dot.js";
import type { Arena } from "../arena.js";
import type { Kernels } from "../kernels.js";
import type { Matrix } from "../../model/weights.js";
import { attention } from "./attention.js";
import { geglu } from "./gelu.js";
import { rmsNorm } from "./norm.js";
import { addInPlace } from "./residual.js";
import { ropeApply } from "./rope.js";

/**
 * Reference matrix products: quantize each activation row to the weight's paired type, then one ggml-style
 * vec_dot per (row, token); attention and the elementwise passes from their reference files. Slow but plain; the
 * WebAssembly kernels are its twins.
 */
export function createRefKernels(arena: Arena, maxActivationBytes: number): Kernels {
  const scratch = arena.alloc(maxActivationBytes);
  return {
    name: "ref",
    attention,
    rmsNorm,
    ropeApply,
    geglu,
    addInPlace,
    matmul(w: Matrix, x: number, nTok: number, y: number): void {
      const u8 = arena.heapU8;
      const f32 = arena.heapF32;
      const actType = vecDotType(w.type);
      const actBytes = activationRowBytes(w.type, w.cols);
      for (let t = 0; t < nTok; t++) {
        quantizeActivationRow(actType, f32, x + t * w.cols, w.cols, u8, scratch + t * actBytes);
      }
      for (let r = 0; r < w.rows; r++) {
        const row = w.ptr + r * w.rowBytes;
        for (let t = 0; t < nTok; t++) {
          f32[y + t * w.rows + r] = vecDot(w.type, w.cols, u8, row, u8, scratch + t * actBytes);
        }
      }
    },
  };
}
