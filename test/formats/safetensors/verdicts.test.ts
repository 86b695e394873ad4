// Differential test: mutated headers, each with the verdict of the official `safetensors` reader
// (safe_open) recorded by scripts/ref/safetensors-fixtures.py in test/golden/safetensors/verdicts.json.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readSafetensors } from "../../../src/formats/safetensors/file.js";
import { isGemmaError } from "../../../src/util/errors.js";
import { GOLDEN, countingSource } from "./helpers.js";

interface Case {
  kind: number;
  b64: string;
  ok: boolean;
  names?: string[];
  error?: string;
}
const { cases } = JSON.parse(readFileSync(join(GOLDEN, "verdicts.json"), "utf8")) as { cases: Case[] };

test("accepts exactly the files the official reader accepts, with the same tensor names", async () => {
  assert.ok(cases.length >= 300);
  for (const [i, c] of cases.entries()) {
    const bytes = new Uint8Array(Buffer.from(c.b64, "base64"));
    const label = `case ${i} (kind ${c.kind}): official ${c.ok ? "accepts" : `refuses: ${c.error}`}`;
    const source = countingSource(`case-${i}.safetensors`, bytes);
    try {
      const file = await readSafetensors(source);
      assert.ok(c.ok, `${label}; we accept`);
      assert.deepEqual(file.tensors.map((t) => t.name).sort(), c.names, label);
    } catch (e) {
      if (!isGemmaError(e)) throw e;
      assert.ok(!c.ok, `${label}; we refuse: ${e.message}`);
      assert.match(e.code, /^SAFETENSORS_BAD_(HEADER|TENSOR)$/, label);
      assert.match(e.message, new RegExp(`^case-${i}\\.safetensors: `), label);
    }
    assert.ok(source.bytesRequested <= bytes.length, `${label}: read ${source.bytesRequested} bytes of ${bytes.length}`);
  }
});
