import { activationRowBytes } from "../../quant/activations.js";
import { rowBytes, typeName } from "../../quant/types.js";
import { GemmaError } from "../../util/errors.js";

/*
 * Argument checks for the kernels: they run before any pointer reaches WebAssembly, where an access
 * outside the memory would trap with an untyped RuntimeError (on a worker thread, out of reach).
 */

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new GemmaError("BAD_TENSOR_SHAPE", `${what}: ${n} is not a valid count`);
}

/** Throws unless [ptr, ptr + bytes) lies inside a memory of `memoryBytes`. */
function checkSpan(what: string, ptr: number, bytes: number, memoryBytes: number): void {
  if (!Number.isInteger(ptr) || ptr < 0 || ptr + bytes > memoryBytes) {
    throw new GemmaError("BAD_TENSOR_SHAPE", `${what}: bytes ${ptr}..${ptr + bytes} are outside the ${memoryBytes}-byte WebAssembly memory`);
  }
}

/**
 * Checks a matmul call (see WasmKernels.matmul) against a memory of `memoryBytes` and returns the
 * activation row stride in bytes.
 */
export function checkMatmul(
  memoryBytes: number, type: number, wPtr: number, rows: number, cols: number, actPtr: number, nTok: number,
  outPtr: number, rowBegin: number, rowEnd: number,
): number {
  const what = `${typeName(type)} matmul`;
  checkCount(`${what} rows`, rows);
  checkCount(`${what} cols`, cols);
  checkCount(`${what} tokens`, nTok);
  if (!Number.isInteger(rowBegin) || !Number.isInteger(rowEnd) || rowBegin < 0 || rowEnd > rows || rowBegin > rowEnd) {
    throw new GemmaError("BAD_TENSOR_SHAPE", `${what}: row range ${rowBegin}..${rowEnd} is not inside 0..${rows}`);
  }
  const actStride = activationRowBytes(type, cols);
  checkSpan(`${what} weights`, wPtr, rows * rowBytes(type, cols), memoryBytes);
  checkSpan(`${what} activations`, actPtr, nTok * actStride, memoryBytes);
  checkSpan(`${what} output`, outPtr, nTok * rows * 4, memoryBytes);
  return actStride;
}

/** Checks an activation encoding call (see WasmKernels.quantizeActivations). */
export function checkQuantize(memoryBytes: number, actType: number, xPtr: number, n: number, outPtr: number): void {
  const what = `${typeName(actType)} activation encoding`;
  checkCount(what, n);
  checkSpan(`${what} input`, xPtr, n * 4, memoryBytes);
  checkSpan(`${what} output`, outPtr, rowBytes(actType, n), memoryBytes);
}
