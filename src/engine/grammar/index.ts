import { GrammarConstraint, type TokenConstraint } from "./constraint.js";
import { compileGbnf } from "./gbnf.js";
import { compileJsonSchema, type JsonSchemaOptions } from "./json-schema.js";
import type { VocabBytes } from "./vocab-bytes.js";

export type { TokenConstraint } from "./constraint.js";
export type { JsonSchemaOptions } from "./json-schema.js";
export { DEFAULT_MAX_WHITESPACE } from "./json-schema.js";
export { vocabBytes, type VocabBytes, type VocabView } from "./vocab-bytes.js";
export { sampleConstrained } from "./sample-constrained.js";

/**
 * Constrains generation to JSON documents valid against `schema` (the supported keywords are listed in
 * json-schema.ts and docs/structured-output.md; any other keyword is a GemmaError).
 */
export function jsonSchemaConstraint(vocab: VocabBytes, schema: unknown, opts: JsonSchemaOptions = {}): TokenConstraint {
  return new GrammarConstraint(vocab, compileJsonSchema(schema, opts));
}

/** Constrains generation to any JSON object. */
export function jsonModeConstraint(vocab: VocabBytes, opts: JsonSchemaOptions = {}): TokenConstraint {
  return jsonSchemaConstraint(vocab, { type: "object" }, opts);
}

/** Constrains generation to the language of a GBNF grammar (root rule `root`). */
export function grammarConstraint(vocab: VocabBytes, gbnf: string): TokenConstraint {
  return new GrammarConstraint(vocab, compileGbnf(gbnf));
}
