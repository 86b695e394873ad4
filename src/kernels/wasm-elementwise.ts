import type { Arena } from "./arena.js";
import type { Kernels } from "./kernels.js";
import { fp16GeluTable } from "./ref/gelu.js";
import type { WasmKernels } from "./wasm/index.js";

export type ElementwiseKernels = Pick<Kernels, "rmsNorm" | "ropeApply" | "geglu" | "addInPlace">;

/**
 * The per-token elementwise passes on the WebAssembly kernels (kernels/assembly/elementwise.ts), bit for bit their
 * reference twins. `heap` is always the arena's f32 view (the Kernels contract passes it for the reference). The RoPE
 * angles stay in TypeScript (ref/rope.ts ropeAngles, which rounds as ggml does with Math.cos/sin) and are copied into
 * a scratch of headDim floats per call; the f16 GELU table is copied into the arena on its first use. Exact-mode GELU
 * runs its tanh as V8's Math.tanh computes it (kernels/assembly/tanh.ts, fdlibm's algorithm): bit-identical to the
 * reference wherever Math.tanh is V8's or another fdlibm port (ECMAScript leaves its rounding to the engine).
 */
export function createWasmElementwise(arena: Arena, wasm: WasmKernels, headDim: number): ElementwiseKernels {
  const ew = wasm.elementwise;
  const angles = arena.alloc(headDim * 4);
  const table = arena.alloc(65536 * 4);
  let tableReady = false;
  return {
    rmsNorm(_heap, x, w, y, n, eps) {
      ew.rmsNorm(x * 4, w * 4, y * 4, n, eps);
    },
    ropeApply(_heap, x, nHeads, hd, cos, sin) {
      const half = hd / 2;
      const f32 = arena.heapF32;
      const a = angles / 4;
      for (let i = 0; i < half; i++) {
        f32[a + i] = cos[i]!;
        f32[a + half + i] = sin[i]!;
      }
      ew.ropeApply(x * 4, nHeads, hd, angles);
    },
    geglu(heap, gate, up, n, fp16) {
      if (!fp16) return wasm.gegluTanh(gate * 4, up * 4, n);
      if (!tableReady) {
        arena.heapF32.set(fp16GeluTable(), table / 4);
        tableReady = true;
      }
      ew.gegluFp16(gate * 4, up * 4, n, table);
    },
    addInPlace(_heap, x, y, n) {
      ew.add(x * 4, y * 4, n);
    },
  };
}
