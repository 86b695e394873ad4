import { f16ToF32 } from "../util/half.js";

/**
 * The f32 value of every half-precision bit pattern. Block scales are f16, so hot loops turn a scale
 * into a float with one indexed load instead of a bit-twiddling conversion (256 KiB, built once).
 */
export const F16_TO_F32: Float32Array = buildTable();

function buildTable(): Float32Array {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) table[h] = f16ToF32(h);
  return table;
}
