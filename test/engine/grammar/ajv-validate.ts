import { Ajv2020 } from "ajv/dist/2020.js";

/** ajv (JSON Schema 2020-12), an independent and complete validator, shared by the grammar tests. */
export const ajv = new Ajv2020({ strict: false });

/** The violations of `value` against `schema` as text, or null when it is valid. */
export function validate(schema: unknown, value: unknown): string | null {
  const check = ajv.compile(schema as object | boolean);
  return check(value) ? null : ajv.errorsText(check.errors);
}
