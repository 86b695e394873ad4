import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { vecDot } from "../../src/quant/dot.js";
import { assertSameBytes, bytesOf, floatsOf, readGolden } from "./golden.js";

// ggml's vec_dot for every weight type with its paired activation type, from our C harness built
// against node-llama-cpp's llama.cpp (scripts/ref/quant-harness-vectors.py), in two builds:
// "scalar" (ggml's scalar reference code, no FMA contraction), which vecDot reproduces exactly, and
// "native" (the x86 SIMD code llama.cpp runs), which sums the same exact integer block sums in
// another f32 order, so it agrees to rounding: within 1e-6 of Σ|w_i·x_i|.
interface DotCase {
  type: string;
  typeId: number;
  n: number;
  weights: string;
  input: string;
  native: { act: string; dot: number; mag: number };
  scalar: { act: string; dot: number };
}
const golden = readGolden<{ cases: DotCase[] }>("ggml-dots.json");

describe("vecDot matches ggml", () => {
  for (const c of golden.cases) {
    const label = `${c.type} n=${c.n}`;
    it(`${label}: activations encoded as the x86 backend does`, () => {
      const act = bytesOf(c.native.act);
      assert.equal(activationRowBytes(c.typeId, c.n), act.length);
      const out = new Uint8Array(act.length);
      quantizeActivationRow(vecDotType(c.typeId), floatsOf(c.input), 0, c.n, out, 0);
      assertSameBytes(out, act, `${label} activations`);
    });
    it(`${label}: equal to ggml's scalar vec_dot`, () => {
      const dot = vecDot(c.typeId, c.n, bytesOf(c.weights), 0, bytesOf(c.scalar.act), 0);
      assert.equal(dot, c.scalar.dot);
    });
    it(`${label}: within 1e-6·Σ|w·x| of ggml's x86 SIMD vec_dot`, () => {
      const dot = vecDot(c.typeId, c.n, bytesOf(c.weights), 0, bytesOf(c.native.act), 0);
      const err = Math.abs(dot - c.native.dot);
      assert.ok(err <= 1e-6 * c.native.mag, `got ${dot}, ggml ${c.native.dot}, |diff| ${err} > 1e-6 × ${c.native.mag}`);
    });
  }
});
