import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonSchemaConstraint } from "../../../src/engine/grammar/index.js";
import { gemmaVocab } from "./gemma-vocab.js";
import { randomDocument, rng } from "./helpers.js";
import { SCHEMA_CASES } from "./schemas.js";
import { validate } from "./ajv-validate.js";

const vocab = gemmaVocab();
const scratch = new Float32Array(vocab.size);
const DOCUMENTS = 6;
const MAX_STEPS = 400;

// Random walks over the real Gemma 3 vocabulary: whatever tokens the constraint lets through, a document
// that ends with an end token must parse and pass ajv.
for (const [i, sc] of SCHEMA_CASES.entries()) {
  test(`${sc.name}: random documents drawn from allowed tokens are valid`, () => {
    const next = rng(1000 + i);
    let finished = 0;
    for (let d = 0; d < DOCUMENTS; d++) {
      const c = jsonSchemaConstraint(vocab, sc.schema, sc.opts);
      const bytes = randomDocument(c, vocab, next, MAX_STEPS, scratch);
      if (bytes === null) continue;
      finished++;
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      let value: unknown;
      assert.doesNotThrow(() => (value = JSON.parse(text)), `not JSON: ${JSON.stringify(text)}`);
      assert.equal(validate(sc.schema, value), null, `invalid: ${JSON.stringify(text)}`);
    }
    assert.ok(finished >= DOCUMENTS / 2, `only ${finished} of ${DOCUMENTS} documents finished`);
  });
}
