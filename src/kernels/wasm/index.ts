import { typeName } from "../../quant/types.js";
import { GemmaError } from "../../util/errors.js";
import { instantiateKernels, MATMUL_EXPORTS, moduleFor, type ElementwiseExports, type KernelExports } from "./bindings.js";
import { checkMatmul, checkQuantize } from "./checks.js";

export { supportsWasmSimd } from "./module.js";

/** WebAssembly SIMD kernels working on (address) pointers into one WebAssembly.Memory. */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  /** Whether matmul multiplies weights of this ggml type. */
  supports(weightType: number): boolean;
  /**
   * y[t·rows + r] = W[r, :] · x[t, :] for r in [rowBegin, rowEnd) (default: all rows) and t < nTok, as
   * f32 at outPtr. W is `rows` rows of `cols` elements of `type` in GGUF encoding at wPtr; the activation
   * rows at actPtr are already in vecDotType(type)'s encoding (quantizeActivations), one after another.
   * Equal, output by output, to src/quant's vecDot.
   */
  matmul(type: number, wPtr: number, rows: number, cols: number, actPtr: number, nTok: number, outPtr: number, rowBegin?: number, rowEnd?: number): void;
  /**
   * Encodes the n floats at xPtr as one activation row of `actType` (Q8_0, Q8_1 or Q8_K) at outPtr, byte
   * for byte as src/quant's quantizeActivationRow.
   */
  quantizeActivations(actType: number, xPtr: number, n: number, outPtr: number): void;
  /**
   * Runs heads 0 .. nHeads - 1 of the attention job whose argument block is at float index `args` (attention-task.ts;
   * written and checked by src/kernels/wasm-attention.ts), on the pool's threads where there are several.
   */
  attentionHeads(args: number, nHeads: number): void;
  /**
   * gate = gelu(gate)·up over n floats at byte addresses gate, up: the exact-mode (tanh) GELU of ElementwiseExports,
   * its elements shared among the pool's threads where there are several.
   */
  gegluTanh(gate: number, up: number, n: number): void;
  /** The elementwise passes on this memory, on the calling thread (byte addresses; bindings.ts). */
  readonly elementwise: ElementwiseExports;
}

/** Index of each weight type's matmul in KernelExports.matmuls. */
export const MATMUL_OP: ReadonlyMap<number, number> = new Map([...MATMUL_EXPORTS.keys()].map((type, i) => [type, i]));

/** The matmul op index for `type`, or a GemmaError naming the type. */
export function matmulOp(type: number): number {
  const op = MATMUL_OP.get(type);
  if (op === undefined) throw new GemmaError("UNSUPPORTED_TENSOR_TYPE", `the WebAssembly kernels do not multiply ${typeName(type)} weights`);
  return op;
}

/** Single-threaded kernels over bound exports. */
export function kernelsOver(memory: WebAssembly.Memory, exports: KernelExports): WasmKernels {
  return {
    memory,
    supports: (weightType) => MATMUL_OP.has(weightType),
    elementwise: exports.elementwise,
    attentionHeads(args, nHeads) {
      for (let h = 0; h < nHeads; h++) exports.attentionHead(args, h);
    },
    gegluTanh: exports.elementwise.gegluTanh,
    matmul(type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin = 0, rowEnd = rows) {
      const op = matmulOp(type);
      const actStride = checkMatmul(memory.buffer.byteLength, type, wPtr, rows, cols, actPtr, nTok, outPtr, rowBegin, rowEnd);
      exports.matmuls[op]!(wPtr, rows, cols, actPtr, actStride, nTok, outPtr, rows, rowBegin, rowEnd);
    },
    quantizeActivations(actType, xPtr, n, outPtr) {
      const quantize = exports.quantizers.get(actType);
      if (!quantize) throw new GemmaError("UNSUPPORTED_TENSOR_TYPE", `the WebAssembly kernels do not encode ${typeName(actType)} activations`);
      checkQuantize(memory.buffer.byteLength, actType, xPtr, n, outPtr);
      quantize(xPtr, n, outPtr);
    },
  };
}

/** Instantiates the kernels on `memory` (an ordinary or a shared WebAssembly.Memory), for the calling thread. */
export async function createWasmKernels(memory: WebAssembly.Memory): Promise<WasmKernels> {
  return kernelsOver(memory, await instantiateKernels(await moduleFor(memory), memory));
}
