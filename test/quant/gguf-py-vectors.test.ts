import { describe, it } from "node:test";
import { dequantizeRow } from "../../src/quant/dequantize.js";
import { quantizeRow } from "../../src/quant/quantize.js";
import { rowBytes } from "../../src/quant/types.js";
import { assertSameBytes, assertSameFloats, bytesOf, floatsOf, readGolden } from "./golden.js";

// Vectors from gguf-py (scripts/ref/quant-vectors.py): its quantize/dequantize reproduce ggml's
// reference quantizers and dequantizers.
interface QuantizeCase {
  type: string;
  typeId: number;
  n: number;
  rows: number;
  input: string;
  bytes: string;
  dequantized: string;
}
interface DequantizeCase {
  type: string;
  typeId: number;
  n: number;
  bytes: string;
  dequantized: string;
}
const golden = readGolden<{ quantize: QuantizeCase[]; dequantize: DequantizeCase[] }>("gguf-py-vectors.json");

describe("quantizeRow matches gguf-py byte for byte", () => {
  for (const c of golden.quantize) {
    it(c.type, () => {
      const x = floatsOf(c.input);
      const expected = bytesOf(c.bytes);
      const size = rowBytes(c.typeId, c.n);
      // Rows are written at an odd offset into a larger buffer: offsets must be honoured.
      const out = new Uint8Array(size * c.rows + 3);
      for (let r = 0; r < c.rows; r++) quantizeRow(c.typeId, x, r * c.n, c.n, out, 3 + r * size);
      assertSameBytes(out.subarray(3), expected, `${c.type} quantized rows`);
    });
  }
});

describe("dequantizeRow matches gguf-py bit for bit", () => {
  for (const c of golden.quantize) {
    it(`${c.type} (rows quantized by gguf-py)`, () => {
      const bytes = bytesOf(c.bytes);
      const size = rowBytes(c.typeId, c.n);
      const y = new Float32Array(c.n * c.rows);
      for (let r = 0; r < c.rows; r++) dequantizeRow(c.typeId, bytes, r * size, y, r * c.n, c.n);
      assertSameFloats(y, floatsOf(c.dequantized), `${c.type} dequantized rows`);
    });
  }
  for (const c of golden.dequantize) {
    it(`${c.type} (random valid blocks)`, () => {
      const src = new Uint8Array(bytesOf(c.bytes).length + 5);
      src.set(bytesOf(c.bytes), 5);
      const y = new Float32Array(c.n + 7);
      dequantizeRow(c.typeId, src, 5, y, 7, c.n);
      assertSameFloats(y.subarray(7), floatsOf(c.dequantized), `${c.type} dequantized row`);
    });
  }
});
