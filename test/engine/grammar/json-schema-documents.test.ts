import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonSchemaConstraint, type TokenConstraint } from "../../../src/engine/grammar/index.js";
import { GEMMA_EOS, gemmaVocab } from "./gemma-vocab.js";
import { GreedyTokenizer } from "./helpers.js";
import { SCHEMA_CASES } from "./schemas.js";
import { validate } from "./ajv-validate.js";

const vocab = gemmaVocab();
const tok = new GreedyTokenizer(vocab);

function validDocument(schema: unknown, text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  return validate(schema, value) === null;
}

/** Feeds `text` token by token (greedy longest match), checking allows() before each accept(). */
function feed(c: TokenConstraint, text: string): void {
  for (const t of tok.encode(text)) {
    assert.ok(c.allows(t), `token ${JSON.stringify(Buffer.from(tok.bytesOf(t)).toString())} refused`);
    c.accept(t);
  }
}

for (const sc of SCHEMA_CASES) {
  test(`${sc.name}: valid documents are accepted token by token and end complete`, () => {
    for (const doc of sc.valid) {
      assert.ok(validDocument(sc.schema, doc), `test data: ${doc} should be valid`);
      const c = jsonSchemaConstraint(vocab, sc.schema, sc.opts);
      feed(c, doc);
      assert.equal(c.complete, true, doc);
      assert.ok(c.allows(GEMMA_EOS), doc);
      c.accept(GEMMA_EOS);
    }
  });

  test(`${sc.name}: documents are refused at the first byte that cannot lead to a valid one`, () => {
    const cases = [...sc.invalid.map((x) => [x, false] as const), ...(sc.restricted ?? []).map((x) => [x, true] as const)];
    for (const [[prefix, rest], schemaValid] of cases) {
      const doc = prefix + rest;
      assert.equal(validDocument(sc.schema, doc), schemaValid, `test data: ${doc}`);
      const c = jsonSchemaConstraint(vocab, sc.schema, sc.opts);
      feed(c, prefix);
      if (rest === "") {
        assert.equal(c.complete, false, doc);
        assert.equal(c.allows(GEMMA_EOS), false, doc);
        assert.throws(() => c.accept(GEMMA_EOS), { name: "GemmaError" });
        continue;
      }
      const byte = new TextEncoder().encode(rest).subarray(0, 1);
      const t = tok.tokenFor(byte);
      assert.equal(c.allows(t), false, `${JSON.stringify(prefix)} + ${JSON.stringify(rest[0])}`);
      assert.throws(() => c.accept(t), { name: "GemmaError" });
      // every token that starts with the refused byte is refused too
      const probe = new Float32Array(vocab.size);
      c.mask(probe);
      for (const u of tok.encode(rest).slice(0, 1)) assert.equal(probe[u], -Infinity);
    }
  });
}
