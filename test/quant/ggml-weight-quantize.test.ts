import { test } from "node:test";
import { quantizeRow } from "../../src/quant/quantize.js";
import { rowBytes } from "../../src/quant/types.js";
import { assertSameBytes, bytesOf, floatsOf, readGolden } from "./golden.js";

// Rows quantized by ggml itself (ggml_quantize_chunk without an importance matrix, the quantize_row_*_ref
// functions llama-quantize uses); written by scripts/ref/quant-weight-vectors.py.
interface Vectors {
  readonly n: number;
  readonly rows: readonly { readonly name: string; readonly x: string }[];
  readonly types: Readonly<Record<string, { readonly id: number; readonly quantized: readonly string[] }>>;
}

const golden = readGolden<Vectors>("ggml-weight-quantize.json");

for (const [name, { id, quantized }] of Object.entries(golden.types)) {
  test(`quantizeRow ${name} matches ggml's reference quantizer byte for byte`, () => {
    golden.rows.forEach((row, i) => {
      const x = floatsOf(row.x);
      const out = new Uint8Array(rowBytes(id, golden.n) + 3);
      quantizeRow(id, x, 0, golden.n, out, 3);
      assertSameBytes(out.subarray(3), bytesOf(quantized[i]!), `${name}, row "${row.name}"`);
    });
  });
}
