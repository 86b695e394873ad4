import { GemmaError } from "../util/errors.js";
import { rowBytes, typeName } from "./types.js";

/** The error for a type that an operation does not handle, naming both. */
export function unsupportedType(type: number, operation: string): GemmaError {
  return new GemmaError("UNSUPPORTED_TENSOR_TYPE", `${operation} does not support tensor type ${typeName(type)}`);
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new GemmaError("BAD_TENSOR_SHAPE", `${what}: ${n} is not a valid element count`);
  }
}

/**
 * Checks that `bytes` holds a whole `type` row of `n` elements at `offset`. Without it a short
 * buffer would be read past its end as garbage instead of failing.
 */
export function checkRowBytes(type: number, n: number, bytes: Uint8Array, offset: number, what: string): void {
  checkCount(n, what);
  const size = rowBytes(type, n);
  if (!Number.isInteger(offset) || offset < 0 || offset + size > bytes.length) {
    throw new GemmaError(
      "TRUNCATED",
      `${what}: a ${typeName(type)} row of ${n} elements needs bytes ${offset}..${offset + size}, but the buffer has ${bytes.length}`,
    );
  }
}

/** Checks that `floats` has `n` elements at `offset`. */
export function checkFloats(floats: Float32Array, offset: number, n: number, what: string): void {
  checkCount(n, what);
  if (!Number.isInteger(offset) || offset < 0 || offset + n > floats.length) {
    throw new GemmaError("TRUNCATED", `${what}: ${n} floats at index ${offset} do not fit in an array of ${floats.length}`);
  }
}
