/**
 * The schemas the constraint tests run, with hand-written documents: `valid` ones must be accepted token by
 * token and end complete. Each `invalid` entry is [prefix, rest] where prefix + rest is a document that is
 * not valid (checked with JSON.parse and ajv): the prefix must be accepted and the first byte
 * of `rest` refused (rest "" = the end token is refused). `restricted` entries are valid documents outside the
 * forms generation is limited to (docs/structured-output.md), refused the same way. Every keyword the
 * constraint supports appears at least once.
 */
export interface SchemaCase {
  readonly name: string;
  readonly schema: unknown;
  readonly opts?: { readonly maxWhitespace?: number };
  readonly valid: readonly string[];
  readonly invalid: readonly Split[];
  readonly restricted?: readonly Split[];
}

type Split = readonly [string, string];

const person = {
  type: "object",
  title: "Person",
  description: "annotations are ignored",
  properties: {
    name: { type: "string", minLength: 1 },
    age: { type: "integer", minimum: 0, maximum: 150 },
    email: { type: "string", pattern: "^[a-z]+@[a-z]+\\.com$" },
  },
  required: ["name", "age"],
  additionalProperties: false,
};

export const SCHEMA_CASES: readonly SchemaCase[] = [
  {
    name: "string",
    schema: { type: "string" },
    valid: ['"hello"', '""', '"esc \\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\uD83D\\uDE00 ü 🙂"', ' "x" '],
    invalid: [['"a', '\nb"'], ['"a\\', 'x"'], ['"\\u12', 'g4"'], ['"a"', "b"]],
    restricted: [['"\\uD', 'E00"'], ['"\\uD83D', '"']],
  },
  {
    name: "integer",
    schema: { type: "integer" },
    valid: ["0", "-7", "1234567890123"],
    invalid: [["0", "1"], ["1", "."], ["-", "a"]],
    restricted: [["1", "e5"], ["1", ".0"], ["-", "0"]],
  },
  {
    name: "number",
    schema: { type: "number" },
    valid: ["0", "-1.5", "3.25e-7", "6E+23", "1e2", "-0.0"],
    invalid: [["1.", "e"], ["-", "."], ["1e", "x"], ["0", "0"]],
  },
  { name: "boolean", schema: { type: "boolean" }, valid: ["true", "false"], invalid: [["tru", "E"], ["", "n"]] },
  { name: "null", schema: { type: "null" }, valid: ["null", "\n null\n"], invalid: [["null", "0"]] },
  { name: "type array", schema: { type: ["string", "null"] }, valid: ['"a"', "null"], invalid: [["", "1"], ["", "true"]] },
  {
    name: "any object (JSON mode)",
    schema: { type: "object" },
    valid: ["{}", '{"a": [1, {"b": null}], "a": "dup", "c": {"d": [true, false, -1.5e3]}}', '{\n  "k": "v"\n}'],
    invalid: [["", "[]"], ['{"a":1', "]"], ["{", "a}"], ['{"a":1}', "x"]],
  },
  {
    name: "object with required, optional and additionalProperties false",
    schema: person,
    valid: ['{"name": "Ann", "age": 31}', '{"name":"Bob","age":0,"email":"bob@example.com"}', '{\n  "name": "Cy",\n  "age": 150,\n  "email": "c@d.com"\n}'],
    invalid: [
      ['{"name": "Ann"', "}"],
      ['{"name": "Ann", "age": 15', "1}"],
      ['{"name": "Ann", "age": 1, "', 'x": 1}'],
      ['{"name": "', '", "age": 1}'],
      ['{"name": "A", "age": 1, "email": "b@', '1.com"}'],
      ['{"name": "A", "age": ', "-1}"],
    ],
    restricted: [['{"', 'age": 1, "name": "A"}']],
  },
  {
    name: "all optional properties",
    schema: { type: "object", properties: { a: { type: "boolean" }, b: { type: "null" } } },
    valid: ["{}", '{"a": true}', '{"b": null}', '{"a": false, "b": null}'],
    invalid: [["{", ",}"], ['{"a": ', "null}"]],
    restricted: [['{"b": null', ', "a": true}']],
  },
  {
    name: "additionalProperties as a schema",
    schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"], additionalProperties: { type: "integer", minimum: 10 } },
    valid: ['{"id": 1}', '{"id": 1, "x": 10, "y\\u0041": 999}', '{"id": 2, "i": 11, "idd": 12}'],
    invalid: [['{"id": 1, "x": 9', "}"], ['{"id": 1, "x": ', '"s"}'], ['{"', 'x": 10}']],
    restricted: [['{"id": 1, "id', '": 50}']],
  },
  {
    name: "required property outside properties, additionalProperties true",
    schema: { type: "object", properties: { a: { type: "string" } }, required: ["b"], additionalProperties: true },
    valid: ['{"b": 1}', '{"a": "x", "b": [null], "c": {}}'],
    invalid: [['{"a": "x"', "}"], ["{", "}"]],
  },
  {
    name: "array with minItems and maxItems",
    schema: { type: "array", items: { type: "string", maxLength: 2 }, minItems: 1, maxItems: 3 },
    valid: ['["a"]', '["ab", "", "c"]', '[ "x" , "y" ]'],
    invalid: [["[", "]"], ['["a", "b", "c"', ', "d"]'], ['["ab', 'c"]']],
  },
  {
    name: "array of objects",
    schema: { type: "array", items: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } }, required: ["x", "y"] } },
    valid: ["[]", '[{"x": 1, "y": 2.5}, {"x": -3e2, "y": 0}]'],
    invalid: [['[{"x": 1', "}]"], ['[{"x": 1, "y": 2}', "{}]"]],
  },
  {
    name: "prefixItems with items false",
    schema: { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }], items: false },
    valid: ["[]", '["a"]', '["a", 1]'],
    invalid: [['["a", 1', ", 2]"], ["[", "1]"]],
  },
  {
    name: "enum of mixed values",
    schema: { enum: ["red", "green", 3, null, { a: [1] }, 'q"uote'] },
    valid: ['"red"', '"green"', "3", "null", '{"a":[1]}', '"q\\"uote"'],
    invalid: [['"re', 'e"'], ["", "4"]],
    restricted: [['{"a":', " [1]}"]],
  },
  { name: "enum filtered by type", schema: { type: "string", enum: ["a", 1, "b"] }, valid: ['"a"', '"b"'], invalid: [["", "1"]] },
  { name: "const", schema: { const: { x: "y" } }, valid: ['{"x":"y"}'], invalid: [['{"x":"', 'z"}']] },
  {
    name: "anyOf",
    schema: { anyOf: [{ type: "string", maxLength: 3 }, { type: "integer", minimum: 10 }] },
    valid: ['"abc"', "10", "12345"],
    invalid: [['"abc', 'd"'], ["9", ""], ["", "-1"]],
  },
  {
    name: "oneOf with a discriminator",
    schema: {
      oneOf: [
        { type: "object", properties: { kind: { const: "circle" }, r: { type: "number", minimum: 0 } }, required: ["kind", "r"], additionalProperties: false },
        { type: "object", properties: { kind: { const: "square" }, side: { type: "number" } }, required: ["kind", "side"], additionalProperties: false },
      ],
    },
    valid: ['{"kind": "circle", "r": 2}', '{"kind": "square", "side": -1}'],
    invalid: [['{"kind": "circle", "', 'side": 1}'], ['{"kind": "circle", "r": ', "-1}"]],
  },
  {
    name: "integer range",
    schema: { type: "integer", minimum: -15, maximum: 27 },
    valid: ["-15", "-9", "0", "9", "27", "19"],
    invalid: [["-1", "6"], ["2", "8"], ["3", "0"]],
    restricted: [["-", "0"]],
  },
  {
    name: "integer exclusive range",
    schema: { type: "integer", exclusiveMinimum: 0, exclusiveMaximum: 1000 },
    valid: ["1", "999", "500"],
    invalid: [["", "0"], ["", "-1"], ["100", "0"]],
  },
  {
    name: "number range",
    schema: { type: "number", minimum: -2.5, maximum: 3.75 },
    valid: ["-2.5", "-2.49", "0", "3.75", "3.7500", "1.2345", "-0.5"],
    invalid: [["-2.", "6"], ["3.7", "6"], ["", "4"], ["-2.5", "1"]],
    restricted: [["1", "e0"]],
  },
  {
    name: "number exclusive minimum",
    schema: { type: "number", exclusiveMinimum: 0.1 },
    valid: ["0.11", "0.1000001", "5", "123456.5"],
    invalid: [["0.", "05"], ["0.1", ""], ["", "-1"]],
  },
  {
    name: "number exclusive negative maximum",
    schema: { type: "number", exclusiveMaximum: -0.5 },
    valid: ["-0.51", "-1", "-100.25"],
    invalid: [["", "0"], ["-0.", "4"], ["-0.5", ""]],
  },
  {
    name: "string length",
    schema: { type: "string", minLength: 2, maxLength: 5 },
    valid: ['"ab"', '"abcde"', '"ü🙂"', '"\\n\\u00e9"'],
    invalid: [['"a', '"'], ['"abcde', 'f"'], ['"🙂🙂🙂🙂🙂', 'x"']],
  },
  {
    name: "anchored pattern",
    schema: { type: "string", pattern: "^[a-z]+@[a-z]+\\.com$" },
    valid: ['"me@site.com"'],
    invalid: [['"me', '!"'], ['"me@site.com', '."'], ['"', '@x.com"']],
  },
  {
    name: "unanchored pattern with maxLength",
    schema: { type: "string", pattern: "\\d{3}", maxLength: 6 },
    valid: ['"123"', '"ab123c"', '"x9999"'],
    invalid: [['"abc', 'd"'], ['"12a45', 'x"']],
  },
  {
    name: "pattern with alternation and non-ASCII",
    schema: { type: "string", pattern: "^(ja|nein|🙂)+$" },
    valid: ['"ja"', '"neinja🙂"'],
    invalid: [['"ja', 'x"'], ['"', '"']],
  },
  {
    name: "enum of strings with escapes",
    schema: { enum: ['a"b', "line\nbreak", "ü"] },
    valid: ['"a\\"b"', '"line\\nbreak"', '"ü"'],
    invalid: [['"line', '\nbreak"']],
  },
  {
    name: "recursive $ref",
    schema: {
      $defs: {
        node: {
          type: "object",
          properties: { value: { type: "integer" }, children: { type: "array", items: { $ref: "#/$defs/node" }, maxItems: 2 } },
          required: ["value"],
          additionalProperties: false,
        },
      },
      $ref: "#/$defs/node",
    },
    valid: ['{"value": 1}', '{"value": 1, "children": [{"value": 2, "children": []}, {"value": 3}]}'],
    invalid: [['{"value": 1, "children": [{"value": 2}, {"value": 3}', ', {"value": 4}]}'], ['{"value": 1, "children": [{', "}]}"]],
  },
  {
    name: "definitions and uniqueItems false",
    schema: { definitions: { tag: { type: "string", maxLength: 3 } }, type: "array", items: { $ref: "#/definitions/tag" }, uniqueItems: false },
    valid: ['["ab", "ab"]', "[]"],
    invalid: [['["abc', 'd"]'], ["[", "1]"]],
  },
  { name: "true schema (any JSON value)", schema: true, valid: ["1", '"s"', "[]", "null", '{"a": [true]}'], invalid: [["[1", "}"], ["", "}"]] },
  {
    name: "nested arrays with bounds",
    schema: {
      type: "object",
      properties: { grid: { type: "array", items: { type: "array", items: { type: "number", minimum: 0, maximum: 1 }, minItems: 2, maxItems: 2 } } },
      required: ["grid"],
      additionalProperties: false,
    },
    valid: ['{"grid": [[0, 1], [0.5, 0.25]]}', '{"grid": []}'],
    invalid: [['{"grid": [[0', "]]}"], ['{"grid": [[1.', "5, 0]]}"]],
  },
  {
    name: "compact JSON (maxWhitespace 0)",
    schema: person,
    opts: { maxWhitespace: 0 },
    valid: ['{"name":"Ann","age":31}'],
    invalid: [['{"name":"Ann"', "}"]],
    restricted: [["{", ' "name":"Ann","age":31}'], ['{"name":"Ann"', ' ,"age":1}']],
  },
  {
    name: "extra keys never repeat a declared name",
    schema: { type: "object", properties: { a: { const: 1 } }, additionalProperties: { type: "string" } },
    valid: ['{"a": 1, "b": "x"}', '{"ab": "x", "": "y"}'],
    invalid: [['{"a": 1, "a', '": "x"}'], ['{"a": ', '"x"}']],
  },
];
