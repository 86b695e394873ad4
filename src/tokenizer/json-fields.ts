import { GemmaError } from "../util/errors.js";

/** Typed reads from parsed JSON that throw TOKENIZER_BAD_JSON naming the file and the field. */
export class JsonFields {
  constructor(readonly source: string) {}

  fail(what: string): GemmaError {
    return new GemmaError("TOKENIZER_BAD_JSON", `${this.source}: ${what}`);
  }

  object(v: unknown, path: string): Record<string, unknown> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw this.fail(`${path} is not an object`);
    return v as Record<string, unknown>;
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) throw this.fail(`${path} is not an array`);
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== "string") throw this.fail(`${path} is not a string`);
    return v;
  }

  id(v: unknown, path: string): number {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw this.fail(`${path} is not a token id`);
    return v;
  }

  optionalBool(v: unknown, path: string): boolean | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") throw this.fail(`${path} is not a boolean`);
    return v;
  }

  /** A token given as a string or as {content: string} (tokenizer_config.json writes both); null/absent → undefined. */
  optionalToken(v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    return this.string(this.object(v, path).content, `${path}.content`);
  }
}
