import { GemmaError, type ErrorCode } from "../../util/errors.js";

/**
 * A strict JSON reader for Hugging Face files (safetensors headers, index files, configs).
 *
 * JSON.parse is not enough here: it silently keeps the last of two duplicate keys, accepts lone
 * surrogate escapes and reports positions in a runtime-specific way. This parser follows RFC 8259
 * as serde_json does (the parser behind the official safetensors reader), rejects duplicate keys,
 * and reports every error with its line, column and absolute byte offset in the file.
 */

export type JsonValue = null | boolean | number | JsonFloat | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Non-integral numbers stand in as this when the caller asks for integers to be told apart. */
export class JsonFloat {
  constructor(
    readonly value: number,
    readonly lexeme: string,
  ) {}
}

export interface JsonParseOptions {
  /** The file name for messages. */
  readonly fileName: string;
  /** What the bytes are, for messages ("header", "config.json"). */
  readonly what: string;
  /** Error code raised for bad UTF-8 or bad JSON. */
  readonly code: ErrorCode;
  /** Byte offset of `bytes` inside the file, so messages give absolute offsets. */
  readonly baseOffset?: number;
  /**
   * When set, numbers written with a fraction or an exponent come back as JsonFloat, so a field
   * that must be an integer can refuse `2.0` as serde_json does.
   */
  readonly markFloats?: boolean;
}

export interface ParsedJson {
  readonly value: JsonValue;
  /** Absolute byte offset where an object or array of this parse starts. */
  offsetOf(node: object): number | undefined;
}

// Deep nesting would overflow the call stack of this recursive-descent parser; no real file nests deeper.
const MAX_DEPTH = 512;

export function parseJsonBytes(bytes: Uint8Array, options: JsonParseOptions): ParsedJson {
  const base = options.baseOffset ?? 0;
  const bad = firstInvalidUtf8(bytes);
  if (bad >= 0) {
    throw new GemmaError(options.code, `${options.fileName}: ${options.what} is not valid UTF-8 (byte offset ${base + bad})`);
  }
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
  return new Parser(text, options).parseDocument();
}

/** Index of the first byte that breaks UTF-8 (overlongs, surrogates and code points past U+10FFFF included), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  const n = b.length;
  let i = 0;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined) return i;
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

class Parser {
  private pos = 0;
  /** Character index where each object and array starts (converted to bytes only when asked). */
  private readonly starts = new WeakMap<object, number>();

  constructor(
    private readonly text: string,
    private readonly options: JsonParseOptions,
  ) {}

  parseDocument(): ParsedJson {
    this.skipSpace();
    const value = this.parseValue(0);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail("unexpected characters after the JSON value");
    return {
      value,
      offsetOf: (node) => {
        const at = this.starts.get(node);
        return at === undefined ? undefined : this.byteOffset(at);
      },
    };
  }

  private parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b /* { */:
        return this.parseObject(depth + 1);
      case 0x5b /* [ */:
        return this.parseArray(depth + 1);
      case 0x22 /* " */:
        return this.parseString();
      case 0x74 /* t */:
        return this.literal("true", true);
      case 0x66 /* f */:
        return this.literal("false", false);
      case 0x6e /* n */:
        return this.literal("null", null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        this.fail(Number.isNaN(c) ? "unexpected end of data, expected a value" : "expected a value");
    }
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const out: JsonObject = {};
    this.starts.set(out, this.pos);
    this.pos++;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail("expected a string key");
      const keyAt = this.pos;
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(`duplicate key ${JSON.stringify(key)}`, keyAt);
      this.skipSpace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.skipSpace();
      const value = this.parseValue(depth);
      // Assigning "__proto__" would replace the prototype; define it as an ordinary member, as JSON.parse does.
      if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x7d) return out;
      if (c !== 0x2c) this.fail("expected ',' or '}'", this.pos - 1);
      this.skipSpace();
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const out: JsonValue[] = [];
    this.starts.set(out, this.pos);
    this.pos++;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === 0x5d) return out;
      if (c !== 0x2c) this.fail("expected ',' or ']'", this.pos - 1);
      this.skipSpace();
    }
  }

  private parseString(): string {
    const t = this.text;
    const start = ++this.pos;
    let i = start;
    // Fast path: no escapes.
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return t.slice(start, i);
      }
      if (c === 0x5c || Number.isNaN(c) || c < 0x20) break;
      i++;
    }
    let out = t.slice(start, i);
    for (;;) {
      const c = t.charCodeAt(i);
      if (Number.isNaN(c)) this.fail("unterminated string", i);
      if (c < 0x20) this.fail("control character in string (must be escaped)", i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out;
      }
      if (c !== 0x5c) {
        out += t[i];
        i++;
        continue;
      }
      const e = t[i + 1];
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          const unit = this.hex4(i + 2);
          if (unit >= 0xdc00 && unit <= 0xdfff) this.fail("lone low surrogate escape", i);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            if (t[i + 6] !== "\\" || t[i + 7] !== "u") this.fail("high surrogate escape without its low half", i);
            const low = this.hex4(i + 8);
            if (low < 0xdc00 || low > 0xdfff) this.fail("high surrogate escape without its low half", i);
            out += String.fromCharCode(unit, low);
            i += 6;
          } else out += String.fromCharCode(unit);
          i += 4;
          break;
        }
        default:
          this.fail("invalid escape", i);
      }
      i += 2;
    }
  }

  private hex4(at: number): number {
    const s = this.text.slice(at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(s)) this.fail("invalid \\u escape", at);
    return parseInt(s, 16);
  }

  private parseNumber(): number | JsonFloat {
    const re = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    re.lastIndex = this.pos;
    const m = re.exec(this.text);
    if (!m) this.fail("invalid number");
    const lexeme = m[0];
    const value = Number(lexeme);
    if (!Number.isFinite(value)) this.fail("number out of range");
    this.pos += lexeme.length;
    // A digit, '.', 'e' or sign right after a valid prefix means a malformed number such as "01" or "1.".
    if (/[0-9.eE+-]/.test(this.text[this.pos] ?? "")) this.fail("invalid number");
    if (this.options.markFloats && (m[1] !== undefined || m[2] !== undefined)) return new JsonFloat(value, lexeme);
    return value;
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail("expected a value");
    this.pos += word.length;
    return value;
  }

  private skipSpace(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  private byteOffset(charIndex: number): number {
    return (this.options.baseOffset ?? 0) + new TextEncoder().encode(this.text.slice(0, charIndex)).length;
  }

  private fail(problem: string, at = this.pos): never {
    const before = this.text.slice(0, at);
    const line = before.split("\n").length;
    const column = at - (before.lastIndexOf("\n") + 1) + 1;
    const { fileName, what, code } = this.options;
    throw new GemmaError(
      code,
      `${fileName}: ${what} is not valid JSON: ${problem} at line ${line} column ${column} (byte offset ${this.byteOffset(at)})`,
    );
  }
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof JsonFloat);
}

/** A short description of a value for messages ("an array", "the string \"x\"", "missing"). */
export function describeJson(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (v instanceof JsonFloat) return `the number ${v.lexeme}`;
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  return `${typeof v} ${String(v)}`;
}
