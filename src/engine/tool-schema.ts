import { NO_PARAMETERS, type CheckedTools } from "./tool-definitions.js";

type Schema = Readonly<Record<string, unknown>>;

/**
 * The JSON schema of an answer when tools are active (ggml-org/llama.cpp's generic tool-call format, for models
 * without tool tokens, is the model for this): `{"tool_calls": [{"name": N, "arguments": A}, ...]}` where each
 * call names a callable tool and A follows that tool's parameters (one call unless parallel), and, under "auto"
 * only, the alternative `{"response": "<text>"}`. The grammar writes properties in schema order, so a call's
 * name always comes before its arguments (tool-answer.ts reads the name first).
 *
 * Each tool's parameters move under `$defs/toolN` of the answer schema; its local references (`#...`) are
 * rewritten to point there.
 */
export function toolAnswerSchema(t: CheckedTools): Schema {
  const named = typeof t.choice === "object" ? t.choice.name : undefined;
  const callable = named === undefined ? t.tools : t.tools.filter((tool) => tool.name === named);
  const defs: Record<string, unknown> = {};
  const calls = callable.map((tool) => {
    const key = `tool${t.tools.indexOf(tool)}`;
    defs[key] = relocated(tool.parameters ?? NO_PARAMETERS, `/$defs/${key}`);
    return {
      type: "object",
      properties: { name: { const: tool.name }, arguments: { $ref: `#/$defs/${key}` } },
      required: ["name", "arguments"],
      additionalProperties: false,
    };
  });
  const toolCalls = {
    type: "object",
    properties: {
      tool_calls: { type: "array", items: calls.length === 1 ? calls[0] : { anyOf: calls }, minItems: 1, ...(t.parallel ? {} : { maxItems: 1 }) },
    },
    required: ["tool_calls"],
    additionalProperties: false,
  };
  if (t.choice !== "auto") return { ...toolCalls, $defs: defs };
  const response = { type: "object", properties: { response: { type: "string" } }, required: ["response"], additionalProperties: false };
  return { anyOf: [toolCalls, response], $defs: defs };
}

/** Keywords whose values are data, not schemas: a `$ref` key inside them is not a reference. */
const DATA_KEYWORDS = new Set(["const", "enum", "default", "examples"]);
/** Keywords whose values map names to schemas (a property may be named like a keyword). */
const SCHEMA_MAPS = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);

/** A copy of `schema` whose local references (`#`, `#/...`) point into `prefix` (a JSON pointer). */
function relocated(schema: unknown, prefix: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => relocated(s, prefix));
  if (typeof schema !== "object" || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#")) out[k] = `#${prefix}${v.slice(1)}`;
    else if (DATA_KEYWORDS.has(k)) out[k] = v;
    else if (SCHEMA_MAPS.has(k) && typeof v === "object" && v !== null && !Array.isArray(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, relocated(s, prefix)]));
    } else out[k] = relocated(v, prefix);
  }
  return out;
}
