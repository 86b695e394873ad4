import { describe, it } from "node:test";
import { quantizeActivationRow } from "../../src/quant/activations.js";
import { rowBytes } from "../../src/quant/types.js";
import { assertSameBytes, bytesOf, floatsOf, readGolden } from "./golden.js";

// Activation rows as ggml's CPU backend quantizes them (type_traits_cpu from_float), from our C
// harness built against node-llama-cpp's llama.cpp (scripts/ref/quant-harness-vectors.py). We follow
// the x86 SIMD build ("native"), which is what llama.cpp runs; for Q8_0/Q8_1 ggml's scalar build
// rounds differently (ties away from zero, 1/(amax/127)) and is deliberately not matched.
interface ActivationCase {
  type: string;
  typeId: number;
  n: number;
  rows: number;
  input: string;
  native: string;
}
const golden = readGolden<{ cases: ActivationCase[] }>("ggml-activations.json");

describe("quantizeActivationRow matches ggml's x86 CPU backend byte for byte", () => {
  for (const c of golden.cases) {
    it(c.type, () => {
      const x = floatsOf(c.input);
      const size = rowBytes(c.typeId, c.n);
      const out = new Uint8Array(size * c.rows + 1).fill(0xa5);
      for (let r = 0; r < c.rows; r++) quantizeActivationRow(c.typeId, x, r * c.n, c.n, out, 1 + r * size);
      assertSameBytes(out.subarray(1), bytesOf(c.native), `${c.type} activation rows`);
    });
  }
});
