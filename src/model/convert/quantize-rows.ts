import { quantizeRow } from "../../quant/quantize.js";
import { rowBytes } from "../../quant/types.js";

/**
 * Encodes `rows.length / cols` rows of f32 as ggml `type`: the bytes quantizeRow gives each row, in order. A
 * platform may spread the rows over threads (platform/node/quantize-pool.ts); the bytes must not change.
 */
export type RowQuantizer = (type: number, rows: Float32Array, cols: number) => Promise<Uint8Array>;

/** The RowQuantizer of the calling thread. */
export function quantizeRows(type: number, rows: Float32Array, cols: number): Promise<Uint8Array> {
  return Promise.resolve(quantizeRowsNow(type, rows, cols));
}

/** quantizeRow on each row of `rows`, into one buffer. */
export function quantizeRowsNow(type: number, rows: Float32Array, cols: number): Uint8Array {
  const n = rows.length / cols;
  const outRow = rowBytes(type, cols);
  const out = new Uint8Array(n * outRow);
  for (let r = 0; r < n; r++) quantizeRow(type, rows, r * cols, cols, out, r * outRow);
  return out;
}
