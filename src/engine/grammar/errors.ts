import { GemmaError } from "../../util/errors.js";

/**
 * The error for schemas, grammars and tokens a constraint cannot take. It uses BAD_SAMPLING until the
 * proposed codes (BAD_SCHEMA for schemas and grammars, TOKEN_REJECTED for tokens) exist in src/util/errors.ts.
 */
export function grammarError(message: string): GemmaError {
  return new GemmaError("BAD_SAMPLING", message);
}
