import assert from "node:assert/strict";
import { test } from "node:test";
import { jsonSchemaConstraint } from "../../../src/engine/grammar/index.js";
import { loadModel } from "../../../src/platform/node/load-model.js";
import { ajv } from "./ajv-validate.js";
import { gemmaVocab } from "./gemma-vocab.js";
import { randomDocument, rng } from "./helpers.js";
import { SCHEMA_CASES } from "./schemas.js";

/**
 * Constrained documents checked by ajv, an independent and complete JSON Schema validator (2020-12 dialect, which
 * covers prefixItems and $defs; `definitions` is reached by a plain JSON pointer). The schemas are those of
 * schemas.ts plus the ones below, so that every keyword docs/structured-output.md lists is exercised in
 * combination with the others.
 */
const EXTRA_SCHEMAS: readonly { readonly name: string; readonly schema: unknown }[] = [
  { name: "empty schema (any value)", schema: {} },
  { name: "string enum", schema: { enum: ["draft", "review", "published", "archived"] } },
  { name: "boolean const", schema: { const: true } },
  { name: "string const with escapes", schema: { const: 'tab\there "q"' } },
  { name: "integer minimum only", schema: { type: "integer", minimum: 100 } },
  { name: "integer negative maximum only", schema: { type: "integer", maximum: -20 } },
  { name: "number exclusiveMinimum and maximum", schema: { type: "number", exclusiveMinimum: -1, maximum: 1 } },
  { name: "integer exclusiveMaximum only", schema: { type: "integer", exclusiveMaximum: 3 } },
  { name: "date-like pattern", schema: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } },
  { name: "pattern with bounded class repetition", schema: { type: "string", pattern: "^[A-Z]{2,4}-[0-9a-f]+$" } },
  { name: "pattern with Cyrillic range escape", schema: { type: "string", pattern: "^[\\u0400-\\u04FF]+$", maxLength: 8 } },
  { name: "unanchored word pattern", schema: { type: "string", pattern: "\\w+x" } },
  { name: "pattern with optional group and lazy star", schema: { type: "string", pattern: "^(?:ab)?c*?d$" } },
  { name: "string minLength only", schema: { type: "string", minLength: 3 } },
  { name: "string maxLength 1", schema: { type: "string", maxLength: 1 } },
  { name: "anchored pattern with length bounds", schema: { type: "string", pattern: "^[a-z]*$", minLength: 2, maxLength: 4 } },
  { name: "array minItems only", schema: { type: "array", items: { type: "integer" }, minItems: 2 } },
  { name: "array maxItems 0", schema: { type: "array", maxItems: 0 } },
  { name: "array of enums", schema: { type: "array", items: { enum: ["a", "b", 1, false] }, maxItems: 4 } },
  { name: "array of anyOf items", schema: { type: "array", items: { anyOf: [{ type: "null" }, { type: "number", minimum: 5 }] } } },
  {
    name: "prefixItems with schema for the rest",
    schema: { type: "array", prefixItems: [{ const: "head" }, { type: "boolean" }], items: { type: "integer", maximum: 9 }, maxItems: 5 },
  },
  {
    name: "three levels of nested objects",
    schema: {
      type: "object",
      properties: {
        a: {
          type: "object",
          properties: { b: { type: "object", properties: { c: { type: "integer" } }, required: ["c"], additionalProperties: false } },
          required: ["b"],
          additionalProperties: false,
        },
      },
      required: ["a"],
      additionalProperties: false,
    },
  },
  { name: "object with additionalProperties false and no properties", schema: { type: "object", additionalProperties: false } },
  {
    name: "declared properties with additionalProperties true",
    schema: { type: "object", properties: { id: { type: "string", maxLength: 4 } }, additionalProperties: true },
  },
  {
    name: "additionalProperties array schema",
    schema: { type: "object", additionalProperties: { type: "array", items: { type: "string", maxLength: 2 }, maxItems: 2 } },
  },
  {
    name: "anyOf of objects",
    schema: {
      anyOf: [
        { type: "object", properties: { x: { type: "integer" } }, required: ["x"], additionalProperties: false },
        { type: "object", properties: { y: { type: "string" } }, required: ["y"], additionalProperties: false },
      ],
    },
  },
  { name: "type integer or boolean", schema: { type: ["integer", "boolean"] } },
  { name: "type object or array", schema: { type: ["object", "array"] } },
  {
    name: "$ref into a nested JSON pointer",
    schema: {
      $defs: { shapes: { type: "object", properties: { size: { type: "integer", minimum: 1, maximum: 9 } } } },
      type: "object",
      properties: { s: { $ref: "#/$defs/shapes/properties/size" } },
      required: ["s"],
      additionalProperties: false,
    },
  },
  {
    name: "recursive linked list through #",
    schema: {
      type: "object",
      properties: { v: { type: "integer" }, next: { anyOf: [{ type: "null" }, { $ref: "#" }] } },
      required: ["v", "next"],
      additionalProperties: false,
    },
  },
  { name: "oneOf over different types", schema: { oneOf: [{ type: "string", maxLength: 3 }, { type: "integer" }, { type: "null" }] } },
  { name: "oneOf over constants", schema: { oneOf: [{ const: "on" }, { const: "off" }, { const: 0 }] } },
  { name: "enum with nested arrays and objects", schema: { enum: [[1, [2]], { k: [] }, [], "x"] } },
  {
    name: "anyOf of number ranges",
    schema: { anyOf: [{ type: "number", minimum: -10, maximum: -5 }, { type: "number", minimum: 5, maximum: 10 }] },
  },
  {
    name: "annotations everywhere",
    schema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $comment: "ignored",
      title: "T",
      description: "D",
      examples: [{ n: 1 }],
      default: { n: 0 },
      type: "object",
      properties: { n: { type: "integer", deprecated: true, readOnly: true, writeOnly: false, default: 3 } },
      required: ["n"],
      additionalProperties: false,
    },
  },
  {
    name: "nullable fields by anyOf",
    schema: {
      type: "object",
      properties: { note: { anyOf: [{ type: "string", maxLength: 5 }, { type: "null" }] }, n: { type: ["number", "null"] } },
      required: ["note", "n"],
      additionalProperties: false,
    },
  },
  {
    name: "realistic order",
    schema: {
      type: "object",
      properties: {
        id: { type: "string", pattern: "^ORD-\\d{3}$" },
        status: { enum: ["open", "paid", "shipped"] },
        items: {
          type: "array",
          minItems: 1,
          maxItems: 3,
          items: {
            type: "object",
            properties: { sku: { type: "string", minLength: 1, maxLength: 6 }, qty: { type: "integer", minimum: 1, maximum: 99 }, price: { type: "number", minimum: 0 } },
            required: ["sku", "qty"],
            additionalProperties: false,
          },
        },
        tags: { type: "array", items: { type: "string", maxLength: 4 }, maxItems: 2 },
      },
      required: ["id", "status", "items"],
      additionalProperties: false,
    },
  },
];

const SCHEMAS = [...SCHEMA_CASES.map((c) => ({ name: c.name, schema: c.schema, opts: c.opts })), ...EXTRA_SCHEMAS.map((c) => ({ ...c, opts: undefined }))];
const DOCUMENTS = 4;
const MAX_STEPS = 400;

const vocab = gemmaVocab();
const scratch = new Float32Array(vocab.size);

test(`at least 50 schemas are checked (${SCHEMAS.length})`, () => {
  assert.ok(SCHEMAS.length >= 50);
});

// Random walks over the real Gemma 3 vocabulary: every document that ends with an end token parses and ajv
// accepts it.
for (const [i, sc] of SCHEMAS.entries()) {
  test(`${sc.name}: random constrained documents are valid for ajv`, () => {
    const check = ajv.compile(sc.schema as object | boolean);
    const next = rng(5000 + i);
    let finished = 0;
    for (let d = 0; d < DOCUMENTS; d++) {
      const bytes = randomDocument(jsonSchemaConstraint(vocab, sc.schema, sc.opts), vocab, next, MAX_STEPS, scratch);
      if (bytes === null) continue;
      finished++;
      const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
      let value: unknown;
      assert.doesNotThrow(() => (value = JSON.parse(text)), `not JSON: ${JSON.stringify(text)}`);
      assert.ok(check(value), `${JSON.stringify(text)}: ${ajv.errorsText(check.errors)}`);
    }
    assert.ok(finished >= DOCUMENTS / 2, `only ${finished} of ${DOCUMENTS} documents finished`);
  });
}

// The same through the real engine: the random-weight tiny Gemma 3 sampling with the constraint on. A generation
// that stops on its own ("stop") is a complete document; one cut off by the limit ("length") may not be.
test("model.generate with jsonSchema on the tiny model: output that stops on its own is valid for ajv", async () => {
  const model = await loadModel("test/fixtures/tiny/gemma3.gguf", { threads: 1 });
  const picked = ["object with required, optional and additionalProperties false", "array with minItems and maxItems", "anyOf", "integer range", "realistic order"];
  let stopped = 0;
  for (const name of picked) {
    const sc = SCHEMAS.find((s) => s.name === name)!;
    const check = ajv.compile(sc.schema as object | boolean);
    for (const seed of [1, 2, 3]) {
      const stream = model.generate([2], { jsonSchema: sc.schema, seed, temperature: 1, maxTokens: 120 });
      const text = await stream.text();
      const r = await stream.finished();
      assert.ok(r.finishReason === "stop" || r.finishReason === "length", `${name}: finish ${r.finishReason}`);
      if (r.finishReason !== "stop") continue;
      stopped++;
      assert.ok(check(JSON.parse(text)), `${name}, seed ${seed}: ${JSON.stringify(text)}: ${ajv.errorsText(check.errors)}`);
    }
  }
  assert.ok(stopped > 0, "no generation stopped on its own");
});
