import { describeJson, isJsonObject, type JsonObject, type JsonValue } from "../formats/hf/json.js";
import { GemmaError } from "../util/errors.js";

/** HF_BAD_CONFIG for a value of the wrong JSON type. */
export function badType(f: ConfigFields, key: string, v: JsonValue, expected: string): GemmaError {
  return new GemmaError("HF_BAD_CONFIG", `config.json: ${f.path}${key} is ${describeJson(v)}, not ${expected}`);
}

/**
 * Typed reads of one object of a config.json. As in transformers, an absent key and an explicit null both take the
 * default, except where null is a value of its own (soft-caps, sliding_window: none). Wrong JSON types are
 * HF_BAD_CONFIG, values out of range MODEL_BAD_CONFIG, keys without a default MODEL_MISSING_KEY.
 */
export class ConfigFields {
  constructor(
    private readonly obj: JsonObject,
    /** Prefix of key names in messages ("text_config."). */
    readonly path: string,
  ) {}

  /** The value, or undefined when the key is absent or null (transformers treats both as "use the default"). */
  private get(key: string): JsonValue | undefined {
    const v = Object.prototype.hasOwnProperty.call(this.obj, key) ? this.obj[key] : undefined;
    return v === null ? undefined : v;
  }

  private has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, key);
  }

  private number(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== "number") throw badType(this, key, v, "a number");
    return v;
  }

  positive(key: string, fallback: number): number {
    const v = this.number(key) ?? fallback;
    if (!(v > 0)) throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${this.path}${key} must be > 0, got ${v}`);
    return v;
  }

  requiredPositive(key: string): number {
    if (this.get(key) === undefined) throw new GemmaError("MODEL_MISSING_KEY", `config.json: ${this.path}${key} is missing (it has no default)`);
    return this.positive(key, NaN);
  }

  /** An explicit null means "none" (soft-caps, sliding_window); an absent key takes the default. */
  optionalPositive(key: string, fallback: number | null): number | null {
    if (this.has(key) && this.obj[key] === null) return null;
    const v = this.number(key) ?? fallback;
    if (v === null) return null;
    if (!(v > 0)) throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${this.path}${key} must be > 0 or null, got ${v}`);
    return v;
  }

  optionalPositiveInt(key: string, fallback: number | null): number | null {
    const v = this.optionalPositive(key, fallback);
    if (v !== null && !Number.isInteger(v)) throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${this.path}${key} must be an integer, got ${v}`);
    return v;
  }

  positiveInt(key: string, fallback: number): number {
    const v = this.positive(key, fallback);
    if (!Number.isSafeInteger(v)) throw new GemmaError("MODEL_BAD_CONFIG", `config.json: ${this.path}${key} must be a positive integer, got ${v}`);
    return v;
  }

  requiredPositiveInt(key: string): number {
    if (this.get(key) === undefined) throw new GemmaError("MODEL_MISSING_KEY", `config.json: ${this.path}${key} is missing (it has no default)`);
    return this.positiveInt(key, NaN);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) return fallback;
    if (typeof v !== "boolean") throw badType(this, key, v, "true or false");
    return v;
  }

  optionalString(key: string): string | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== "string") throw badType(this, key, v, "a string");
    return v;
  }

  optionalObject(key: string): JsonObject | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!isJsonObject(v)) throw badType(this, key, v, "an object");
    return v;
  }

  optionalArray(key: string): readonly JsonValue[] | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw badType(this, key, v, "an array");
    return v;
  }
}
