import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { dequantizeRow } from "../../src/quant/dequantize.js";
import { vecDot } from "../../src/quant/dot.js";
import { quantizeRow } from "../../src/quant/quantize.js";
import { GgmlType } from "../../src/quant/types.js";
import { GemmaError } from "../../src/util/errors.js";

function assertGemmaError(fn: () => unknown, code: string, mentions: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GemmaError, `expected a GemmaError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.ok(e.message.includes(mentions), `message "${e.message}" should mention ${mentions}`);
    return true;
  });
}

const bytes = new Uint8Array(4096);
const floats = new Float32Array(1024);

describe("types without kernels are refused by name", () => {
  const refused = ["IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ3_S", "IQ2_S", "IQ1_M", "TQ1_0", "TQ2_0", "MXFP4", "I8", "I32", "F64"] as const;
  for (const name of refused) {
    it(name, () => {
      const type = GgmlType[name];
      assertGemmaError(() => dequantizeRow(type, bytes, 0, floats, 0, 256), "UNSUPPORTED_TENSOR_TYPE", name);
      assertGemmaError(() => vecDot(type, 256, bytes, 0, bytes, 0), "UNSUPPORTED_TENSOR_TYPE", name);
      assertGemmaError(() => vecDotType(type), "UNSUPPORTED_TENSOR_TYPE", name);
      assertGemmaError(() => activationRowBytes(type, 256), "UNSUPPORTED_TENSOR_TYPE", name);
      assertGemmaError(() => quantizeRow(type, floats, 0, 256, bytes, 0), "UNSUPPORTED_TENSOR_TYPE", name);
    });
  }
  it("ids that are not ggml types", () => {
    for (const id of [4, 31, 43, 99, -1]) {
      assertGemmaError(() => dequantizeRow(id, bytes, 0, floats, 0, 256), "UNSUPPORTED_TENSOR_TYPE", String(id));
      assertGemmaError(() => vecDot(id, 256, bytes, 0, bytes, 0), "UNSUPPORTED_TENSOR_TYPE", String(id));
    }
  });
  it("quantizeRow refuses the K-quants other than Q4_K and Q6_K, and the IQ4 types", () => {
    for (const name of ["Q2_K", "Q3_K", "Q5_K", "IQ4_NL", "IQ4_XS"] as const) {
      assertGemmaError(() => quantizeRow(GgmlType[name], floats, 0, 256, bytes, 0), "UNSUPPORTED_TENSOR_TYPE", name);
    }
  });
  it("quantizeActivationRow accepts only activation encodings", () => {
    assertGemmaError(() => quantizeActivationRow(GgmlType.Q4_K, floats, 0, 256, bytes, 0), "UNSUPPORTED_TENSOR_TYPE", "Q4_K");
  });
});

describe("bad rows are refused", () => {
  it("a length that is not a whole number of blocks", () => {
    assertGemmaError(() => dequantizeRow(GgmlType.Q4_K, bytes, 0, floats, 0, 300), "BAD_TENSOR_SHAPE", "Q4_K");
    assertGemmaError(() => vecDot(GgmlType.Q8_0, 48, bytes, 0, bytes, 0), "BAD_TENSOR_SHAPE", "Q8_0");
  });
  it("buffers too short for the row", () => {
    assertGemmaError(() => dequantizeRow(GgmlType.Q6_K, bytes, 4000, floats, 0, 256), "TRUNCATED", "Q6_K");
    assertGemmaError(() => dequantizeRow(GgmlType.Q8_0, bytes, 0, floats, 1000, 64), "TRUNCATED", "64 floats");
    assertGemmaError(() => vecDot(GgmlType.Q4_K, 256, bytes, 0, bytes, 3900), "TRUNCATED", "Q8_K");
    assertGemmaError(() => quantizeActivationRow(GgmlType.Q8_K, floats, 900, 256, bytes, 0), "TRUNCATED", "256 floats");
  });
});
