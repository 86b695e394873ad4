import assert from "node:assert/strict";
import { test } from "node:test";
import { compileJsonSchema } from "../../../src/engine/grammar/json-schema.js";

/** [schema, words the message must contain] */
const REFUSED: readonly (readonly [unknown, readonly string[]])[] = [
  [{ type: "string", format: "email" }, ['"format"', "at #"]],
  [{ type: "object", properties: { a: { type: "integer", multipleOf: 2 } } }, ['"multipleOf"', "#/properties/a"]],
  [{ allOf: [{ type: "string" }] }, ['"allOf"', "at #"]],
  [{ not: { type: "string" } }, ['"not"']],
  [{ if: { type: "string" }, then: { minLength: 1 } }, ['"if"']],
  [{ type: "array", contains: { type: "string" } }, ['"contains"']],
  [{ type: "object", patternProperties: { "^a": {} } }, ['"patternProperties"']],
  [{ type: "object", propertyNames: { maxLength: 3 } }, ['"propertyNames"']],
  [{ type: "object", minProperties: 1 }, ['"minProperties"']],
  [{ type: "object", dependentRequired: { a: ["b"] } }, ['"dependentRequired"']],
  [{ type: "string", nullable: true }, ['"nullable"']],
  [{ type: "string", contentEncoding: "base64" }, ['"contentEncoding"']],
  [{ $id: "https://example.com/s", type: "string" }, ['"$id"']],
  [{ type: "object", propertes: {} }, ['"propertes"']],
  [{ type: "array", items: { type: "string" }, uniqueItems: true }, ["uniqueItems", "#"]],
  [{ type: "array", items: [{ type: "string" }] }, ["items as an array", "prefixItems"]],
  [{ type: "array", items: { type: "object", properties: { "b/c": { format: "date" } } } }, ['"format"', "#/items/properties/b~1c"]],
  [{ $ref: "https://example.com/schema.json" }, ["only local references", "#/$ref"]],
  [{ $defs: {}, $ref: "#/$defs/missing" }, ["does not resolve"]],
  [{ $ref: "#/$defs/a", type: "string", $defs: { a: {} } }, ['"type" beside "$ref"']],
  [{ anyOf: [{ type: "string" }], minLength: 1 }, ['"minLength" beside "anyOf"']],
  [{ enum: ["a"], minLength: 1 }, ['"minLength" beside "enum"']],
  [{ type: "number", minimum: 0, exclusiveMinimum: true }, ["exclusiveMinimum", "draft 4"]],
  [{ oneOf: [{ type: "string" }, { type: "string", maxLength: 3 }] }, ["oneOf", "#/oneOf", "branches 0 and 1"]],
  [{ type: "string", pattern: "(?=a)b" }, ["lookaround", "#/pattern"]],
  [{ type: "string", pattern: "\\bword" }, ['"\\b"']],
  [{ type: "string", pattern: "(a)\\1" }, ['"\\1"']],
  [{ type: "string", pattern: "a{2" }, ["quantifier"]],
  [{ type: "integer", minimum: 5, maximum: 3 }, ["matches no document"]],
  [{ type: "object", properties: {}, required: ["x"], additionalProperties: false }, ['required property "x"', "additionalProperties is false"]],
  [{ type: "strin" }, ["type at #", "strin"]],
  [{ type: "string", minLength: -1 }, ["minLength at #"]],
  [{ enum: [] }, ["enum at #"]],
  [false, ["matches no document"]],
  ["string", ["schema at # must be an object or a boolean"]],
];

test("unsupported keywords and bad schemas are refused with a GemmaError naming the keyword and its path", () => {
  for (const [schema, words] of REFUSED) {
    assert.throws(
      () => compileJsonSchema(schema),
      (e: unknown) => {
        assert.ok(e instanceof Error && e.name === "GemmaError", `${JSON.stringify(schema)}: ${String(e)}`);
        assert.equal((e as { code?: string }).code, "BAD_SAMPLING");
        for (const w of words) assert.ok(e.message.includes(w), `${JSON.stringify(schema)}: "${e.message}" lacks ${w}`);
        return true;
      },
    );
  }
});

test("annotations are accepted and change nothing", () => {
  const annotated = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "t",
    description: "d",
    $comment: "c",
    examples: [1],
    default: 1,
    deprecated: false,
    readOnly: true,
    writeOnly: false,
    type: "integer",
  };
  assert.deepEqual(compileJsonSchema(annotated), compileJsonSchema({ type: "integer" }));
});

test("oneOf is accepted when its branches are disjoint by type, by value or by a required property", () => {
  for (const schema of [
    { oneOf: [{ type: "string" }, { type: "integer" }] },
    { oneOf: [{ const: 1 }, { enum: [2, 3] }] },
    {
      $defs: { a: { type: "object", properties: { k: { const: "a" } }, required: ["k"] } },
      oneOf: [{ $ref: "#/$defs/a" }, { type: "object", properties: { k: { const: "b" } }, required: ["k"] }],
    },
  ]) {
    assert.doesNotThrow(() => compileJsonSchema(schema), JSON.stringify(schema));
  }
});
