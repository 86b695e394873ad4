import { F16_TO_F32 } from "./f16-table.js";

/*
 * Little-endian field access inside quantized blocks, by plain byte arithmetic (no DataView, no
 * per-call views). ggml block structs are little endian, as are all JavaScript engines' typed arrays.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The f16 at bytes[o..o+1] as a number (exactly its f32 value). */
export function readF16(bytes: Uint8Array, o: number): number {
  return F16_TO_F32[bytes[o] | (bytes[o + 1] << 8)];
}

export function writeU16(bytes: Uint8Array, o: number, v: number): void {
  bytes[o] = v & 0xff;
  bytes[o + 1] = (v >>> 8) & 0xff;
}

export function readI8(bytes: Uint8Array, o: number): number {
  return (bytes[o] << 24) >> 24;
}

export function readI16(bytes: Uint8Array, o: number): number {
  return ((bytes[o] | (bytes[o + 1] << 8)) << 16) >> 16;
}

/** The 32 bits at bytes[o..o+3], as an int32 (shift with >>> to read them unsigned). */
export function readU32(bytes: Uint8Array, o: number): number {
  return bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24);
}

export function readF32(bytes: Uint8Array, o: number): number {
  scratchU32[0] = readU32(bytes, o);
  return scratchF32[0];
}

export function writeF32(bytes: Uint8Array, o: number, v: number): void {
  scratchF32[0] = v;
  const bits = scratchU32[0];
  bytes[o] = bits & 0xff;
  bytes[o + 1] = (bits >>> 8) & 0xff;
  bytes[o + 2] = (bits >>> 16) & 0xff;
  bytes[o + 3] = bits >>> 24;
}
