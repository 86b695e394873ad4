import { ANY_TEXT, type CharAutomaton, type CharEdge } from "./char-automaton.js";
import { ANY_CHAR, rangeSet, subtract, union, type CodepointSet } from "./codepoint-set.js";
import { grammarError } from "./errors.js";
import { GrammarBuilder, type CompiledGrammar, type Element } from "./grammar.js";
import { decimalOf, integerAbove, integerBelow, JsonNumberWriter, type Bound } from "./json-number.js";
import { JsonStringWriter } from "./json-string.js";
import { patternAutomaton } from "./regex.js";

export interface JsonSchemaOptions {
  /** Most whitespace bytes (space, tab, CR, LF) allowed in one gap between JSON tokens; 0 = compact JSON. */
  readonly maxWhitespace?: number;
}

export const DEFAULT_MAX_WHITESPACE = 20;
/** Arrays are unrolled up to their item bounds; beyond this the schema is refused. */
const MAX_UNROLLED_ITEMS = 100_000;

type JsonType = "null" | "boolean" | "object" | "array" | "number" | "integer" | "string";
const TYPES: readonly JsonType[] = ["null", "boolean", "object", "array", "number", "integer", "string"];

/** Keywords that carry no constraint: read past. */
const ANNOTATIONS = new Set([
  "$schema", "title", "description", "$comment", "examples", "default", "deprecated", "readOnly", "writeOnly",
]);
/** Keywords this compiler enforces. Every other keyword is an error. */
const SUPPORTED = new Set([
  "type", "enum", "const", "anyOf", "oneOf", "$ref", "$defs", "definitions",
  "properties", "required", "additionalProperties",
  "items", "prefixItems", "minItems", "maxItems", "uniqueItems",
  "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "minLength", "maxLength", "pattern",
]);
/** Keywords that may stand beside $ref, anyOf/oneOf, enum/const. */
const NEUTRAL = new Set([...ANNOTATIONS, "$defs", "definitions"]);

/**
 * Compiles a JSON Schema to a byte grammar whose language is a subset of the schema's valid documents
 * (docs/structured-output.md lists the keywords and the forms generation is limited to):
 *
 * - type (one name or an array), enum, const; anyOf; oneOf when its branches are provably disjoint (by type,
 *   by enum/const values, or by a required property whose schemas are disjoint), since then anyOf means the
 *   same; local $ref (`#...` JSON pointers into the schema, recursion allowed) with $defs/definitions.
 * - objects: properties (written in the schema's order), required, additionalProperties (false, true or a
 *   schema; when absent, extra properties are written only if `properties` is absent too). Extra keys never
 *   repeat a declared name.
 * - arrays: items (a schema), prefixItems, minItems, maxItems, uniqueItems: false.
 * - numbers: minimum, maximum, exclusiveMinimum, exclusiveMaximum (numeric form), exact for integers and for
 *   numbers (a bounded number is written without an exponent).
 * - strings: minLength, maxLength (in code points), pattern (the subset in regex.ts), combined freely.
 * - annotations ($schema, title, description, $comment, examples, default, deprecated, readOnly, writeOnly)
 *   are ignored. Any other keyword is a GemmaError naming the keyword and its JSON pointer.
 *
 * enum and const values are written as JSON.stringify writes them.
 */
export function compileJsonSchema(schema: unknown, opts: JsonSchemaOptions = {}): CompiledGrammar {
  return new SchemaCompiler(schema, opts).compile();
}

class SchemaCompiler {
  private readonly root: unknown;
  private readonly b = new GrammarBuilder();
  private readonly strings = new JsonStringWriter(this.b);
  private readonly numbers = new JsonNumberWriter(this.b);
  private readonly ws: Element[];
  private readonly rules = new Map<unknown, number>();
  private anyValueRule: number | undefined;
  private anyStringRule: number | undefined;

  constructor(root: unknown, opts: JsonSchemaOptions) {
    this.root = root;
    const maxWs = opts.maxWhitespace ?? DEFAULT_MAX_WHITESPACE;
    if (!Number.isInteger(maxWs) || maxWs < 0) throw grammarError(`maxWhitespace must be an integer >= 0, got ${maxWs}`);
    this.ws = maxWs === 0 ? [] : [this.b.repeat("whitespace", [this.b.anyOf(" \t\n\r")], 0, maxWs)];
  }

  compile(): CompiledGrammar {
    const value = this.schema(this.root, "#");
    const doc = this.b.choice("document", [[...this.ws, value, ...this.ws]]);
    return this.b.build(doc, "the schema");
  }

  /** The rule for a (sub)schema; one per schema object, so $ref cycles become recursive rules. */
  private schema(s: unknown, path: string): number {
    let r = this.rules.get(s);
    if (r !== undefined) return r;
    if (s === true) return this.anyValue();
    r = this.b.rule(path);
    this.rules.set(s, r);
    if (s === false) return r;
    if (!isObject(s)) throw grammarError(`schema at ${path} must be an object or a boolean`);
    for (const alt of this.alternatives(s, path)) this.b.alt(r, alt);
    return r;
  }

  private alternatives(s: Readonly<Record<string, unknown>>, path: string): Element[][] {
    for (const k of Object.keys(s)) {
      if (!ANNOTATIONS.has(k) && !SUPPORTED.has(k)) throw grammarError(`unsupported keyword "${k}" at ${path}`);
    }
    for (const k of ["$defs", "definitions"]) {
      if (k in s && !isObject(s[k])) throw grammarError(`${k} at ${path} must be an object`);
    }
    if ("$ref" in s) {
      this.onlyBeside("$ref", s, path, []);
      return [[this.schema(this.resolve(s.$ref, `${path}/$ref`), `${path}/$ref`)]];
    }
    for (const k of ["anyOf", "oneOf"] as const) {
      if (!(k in s)) continue;
      this.onlyBeside(k, s, path, []);
      const branches = s[k];
      if (!Array.isArray(branches) || branches.length === 0) throw grammarError(`${k} at ${path} must be a non-empty array`);
      if (k === "oneOf") this.checkDisjoint(branches, `${path}/oneOf`);
      return branches.map((x, i) => [this.schema(x, `${path}/${k}/${i}`)]);
    }
    const types = this.types(s, path);
    if ("enum" in s || "const" in s) {
      this.onlyBeside("enum" in s ? "enum" : "const", s, path, ["type", "enum", "const"]);
      return this.literals(s, path).filter((v) => types.some((t) => hasType(v, t))).map((v) => this.b.literal(JSON.stringify(v)));
    }
    const out: Element[][] = [];
    for (const t of types) {
      if (t === "integer" && types.includes("number")) continue;
      out.push(...this.typed(t, s, path));
    }
    return out;
  }

  private typed(t: JsonType, s: Readonly<Record<string, unknown>>, path: string): Element[][] {
    const b = this.b;
    switch (t) {
      case "null":
        return [b.literal("null")];
      case "boolean":
        return [b.literal("true"), b.literal("false")];
      case "integer":
      case "number":
        return [[this.number(t, s, path)]];
      case "string":
        return [[this.string(s, path)]];
      case "array":
        return [[this.array(s, path)]];
      case "object":
        return [[this.object(s, path)]];
    }
  }

  private number(t: "integer" | "number", s: Readonly<Record<string, unknown>>, path: string): number {
    const lo = this.bound(s, "minimum", "exclusiveMinimum", path, 1);
    const hi = this.bound(s, "maximum", "exclusiveMaximum", path, -1);
    if (t === "integer") return this.numbers.integer(lo && integerAbove(lo), hi && integerBelow(hi));
    return lo || hi ? this.numbers.boundedNumber(lo, hi) : this.numbers.number();
  }

  /** The tighter of an inclusive and an exclusive bound; `dir` is 1 for lower bounds, -1 for upper ones. */
  private bound(s: Readonly<Record<string, unknown>>, incl: string, excl: string, path: string, dir: number): Bound | null {
    const i = s[incl];
    const e = s[excl];
    if (typeof e === "boolean") {
      throw grammarError(`boolean ${excl} (draft 4) at ${path} is not supported; give the bound as a number`);
    }
    for (const [k, v] of [[incl, i], [excl, e]] as const) {
      if (v !== undefined && !(typeof v === "number" && Number.isFinite(v))) throw grammarError(`${k} at ${path} must be a number`);
    }
    if (i === undefined && e === undefined) return null;
    const inclusiveTighter = e === undefined || (i !== undefined && dir * ((i as number) - (e as number)) > 0);
    return inclusiveTighter ? { value: decimalOf(i as number), strict: false } : { value: decimalOf(e as number), strict: true };
  }

  private string(s: Readonly<Record<string, unknown>>, path: string): number {
    const min = this.count(s, "minLength", path) ?? 0;
    const max = this.count(s, "maxLength", path) ?? Infinity;
    if (s.pattern !== undefined && typeof s.pattern !== "string") throw grammarError(`pattern at ${path} must be a string`);
    if (s.pattern === undefined && min === 0 && max === Infinity) return this.anyString();
    const text = s.pattern === undefined ? ANY_TEXT : patternAutomaton(s.pattern, `${path}/pattern`);
    return this.strings.stringRule(`${path} string`, text, min, max);
  }

  private array(s: Readonly<Record<string, unknown>>, path: string): number {
    const b = this.b;
    if (Array.isArray(s.items)) {
      throw grammarError(`items as an array (draft 4 tuples) at ${path} is not supported; use prefixItems`);
    }
    if (s.uniqueItems !== undefined && s.uniqueItems !== false) throw grammarError(`uniqueItems: true at ${path} is not supported`);
    const prefix = s.prefixItems ?? [];
    if (!Array.isArray(prefix)) throw grammarError(`prefixItems at ${path} must be an array`);
    const min = this.count(s, "minItems", path) ?? 0;
    const max = this.count(s, "maxItems", path) ?? Infinity;
    const rest = s.items ?? true;
    const item = (k: number): number | null => {
      if (k < prefix.length) return this.schema(prefix[k], `${path}/prefixItems/${k}`);
      return rest === false ? null : this.schema(rest, `${path}/items`);
    };
    // after[k]: the rest of the array once k items are written
    // with no maximum, counts from `cap` on share one rule (it must be past 0: later items need a comma)
    const cap = max === Infinity ? Math.max(min, prefix.length, 1) : max;
    if (cap > MAX_UNROLLED_ITEMS) {
      throw grammarError(`minItems/maxItems at ${path} are too large to compile (limit ${MAX_UNROLLED_ITEMS})`);
    }
    const after: number[] = [];
    for (let k = 0; k <= cap; k++) after.push(b.rule(`${path} array after ${k}`));
    const comma = [b.anyOf(","), ...this.ws];
    for (let k = 0; k <= cap; k++) {
      if (k >= min) b.alt(after[k]!, b.literal("]"));
      const it = k < max ? item(k) : null;
      if (it !== null) b.alt(after[k]!, [...(k > 0 ? comma : []), it, ...this.ws, after[Math.min(k + 1, cap)]!]);
    }
    return b.choice(`${path} array`, [[...b.literal("["), ...this.ws, after[0]!]]);
  }

  private object(s: Readonly<Record<string, unknown>>, path: string): number {
    const b = this.b;
    const props = s.properties ?? {};
    if (!isObject(props)) throw grammarError(`properties at ${path} must be an object`);
    const required = s.required ?? [];
    if (!Array.isArray(required) || required.some((x) => typeof x !== "string") || new Set(required).size !== required.length) {
      throw grammarError(`required at ${path} must be an array of distinct strings`);
    }
    const ap = s.additionalProperties;
    if (ap !== undefined && typeof ap !== "boolean" && !isObject(ap)) {
      throw grammarError(`additionalProperties at ${path} must be a boolean or a schema`);
    }
    const extra = ap ?? !("properties" in s);
    const members: { name: string; value: number; required: boolean }[] = [];
    for (const [name, sub] of Object.entries(props)) {
      const value = this.schema(sub, `${path}/properties/${pointerToken(name)}`);
      members.push({ name, value, required: required.includes(name) });
    }
    for (const name of required as string[]) {
      if (name in props) continue;
      if (ap === false) {
        throw grammarError(`required property "${name}" at ${path} is not in properties and additionalProperties is false`);
      }
      members.push({ name, value: this.schema(ap ?? true, `${path}/additionalProperties`), required: true });
    }
    const comma = [b.anyOf(","), ...this.ws];
    const member = (key: Element[], value: number) => [...key, ...this.ws, ...b.literal(":"), ...this.ws, value, ...this.ws];
    const n = members.length;
    // rest[i][first]: members i.. and the closing brace; `first` = nothing written yet (no comma before the next)
    const rest = Array.from({ length: n + 1 }, (_, i) => [0, 1].map((f) => b.rule(`${path} object from ${i}${f ? " first" : ""}`)));
    const extraKey = () => {
      if (members.length === 0) return this.anyString();
      return this.strings.stringRule(`${path} extra key`, keysExcept(members.map((m) => m.name)), 0, Infinity);
    };
    const extraMember = extra === false ? null : member([extraKey()], this.schema(extra, `${path}/additionalProperties`));
    for (const f of [0, 1]) {
      const r = rest[n]![f]!;
      b.alt(r, b.literal("}"));
      if (extraMember) b.alt(r, [...(f ? [] : comma), ...extraMember, rest[n]![0]!]);
    }
    for (let i = n - 1; i >= 0; i--) {
      const m = members[i]!;
      for (const f of [0, 1]) {
        const r = rest[i]![f]!;
        b.alt(r, [...(f ? [] : comma), ...member(b.literal(JSON.stringify(m.name)), m.value), rest[i + 1]![0]!]);
        if (!m.required) b.alt(r, [rest[i + 1]![f]!]);
      }
    }
    return b.choice(`${path} object`, [[...b.literal("{"), ...this.ws, rest[0]![1]!]]);
  }

  /** Any JSON value (the schema `true`). */
  private anyValue(): number {
    if (this.anyValueRule !== undefined) return this.anyValueRule;
    const b = this.b;
    const value = b.rule("value");
    this.anyValueRule = value;
    const str = this.anyString();
    const comma = [b.anyOf(","), ...this.ws];
    const objMore = b.rule("object members");
    const member = [str, ...this.ws, ...b.literal(":"), ...this.ws, value, ...this.ws];
    b.alt(objMore, b.literal("}"));
    b.alt(objMore, [...comma, ...member, objMore]);
    const obj = b.choice("object", [
      [...b.literal("{"), ...this.ws, ...b.literal("}")],
      [...b.literal("{"), ...this.ws, ...member, objMore],
    ]);
    const arrMore = b.rule("array items");
    b.alt(arrMore, b.literal("]"));
    b.alt(arrMore, [...comma, value, ...this.ws, arrMore]);
    const arr = b.choice("array", [
      [...b.literal("["), ...this.ws, ...b.literal("]")],
      [...b.literal("["), ...this.ws, value, ...this.ws, arrMore],
    ]);
    for (const alt of [[obj], [arr], [str], [this.numbers.number()], b.literal("true"), b.literal("false"), b.literal("null")]) {
      b.alt(value, alt);
    }
    return value;
  }

  private anyString(): number {
    this.anyStringRule ??= this.strings.stringRule("string", ANY_TEXT, 0, Infinity);
    return this.anyStringRule;
  }

  private types(s: Readonly<Record<string, unknown>>, path: string): JsonType[] {
    const t = s.type;
    if (t === undefined) return [...TYPES];
    const list = Array.isArray(t) ? t : [t];
    if (list.length === 0 || list.some((x) => !TYPES.includes(x as JsonType)) || new Set(list).size !== list.length) {
      const names = TYPES.join(", ");
      throw grammarError(`type at ${path} must be one of ${names} or an array of distinct ones, got ${JSON.stringify(t)}`);
    }
    return list as JsonType[];
  }

  private literals(s: Readonly<Record<string, unknown>>, path: string): unknown[] {
    let values: unknown[] | undefined;
    if ("enum" in s) {
      if (!Array.isArray(s.enum) || s.enum.length === 0) throw grammarError(`enum at ${path} must be a non-empty array`);
      values = s.enum;
    }
    if ("const" in s) values = (values ?? [s.const]).filter((v) => canonical(v) === canonical(s.const));
    for (const v of values!) {
      if (typeof JSON.stringify(v) !== "string") throw grammarError(`enum/const value at ${path} is not JSON`);
    }
    return values!;
  }

  private count(s: Readonly<Record<string, unknown>>, k: string, path: string): number | undefined {
    const v = s[k];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw grammarError(`${k} at ${path} must be an integer >= 0`);
    return v;
  }

  private onlyBeside(k: string, s: Readonly<Record<string, unknown>>, path: string, allowed: readonly string[]): void {
    for (const other of Object.keys(s)) {
      if (other !== k && !NEUTRAL.has(other) && !allowed.includes(other)) {
        throw grammarError(`keyword "${other}" beside "${k}" at ${path} is not supported; move it into the ${k} branches`);
      }
    }
  }

  private resolve(ref: unknown, path: string): unknown {
    if (typeof ref !== "string" || !ref.startsWith("#")) {
      throw grammarError(`${path}: only local references ("#...") are supported, got ${JSON.stringify(ref)}`);
    }
    let node: unknown = this.root;
    const pointer = decodeURIComponent(ref.slice(1));
    if (pointer !== "" && !pointer.startsWith("/")) {
      throw grammarError(`${path}: reference ${JSON.stringify(ref)} is not a JSON pointer`);
    }
    for (const raw of pointer === "" ? [] : pointer.slice(1).split("/")) {
      const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[token] : undefined;
      if (node === undefined) throw grammarError(`${path}: reference ${JSON.stringify(ref)} does not resolve`);
    }
    return node;
  }

  private checkDisjoint(branches: readonly unknown[], path: string): void {
    for (let i = 0; i < branches.length; i++) {
      for (let j = i + 1; j < branches.length; j++) {
        if (!this.disjoint(branches[i], branches[j], 0)) {
          throw grammarError(
            `oneOf at ${path}: branches ${i} and ${j} may both match one value, so oneOf cannot be generated as anyOf; ` +
              "use anyOf or make them disjoint (different types, enum/const values, or a required property with such values)",
          );
        }
      }
    }
  }

  /** Whether no value can match both schemas (a sufficient check, not a complete one). */
  private disjoint(x: unknown, y: unknown, depth: number): boolean {
    const a = this.deref(x);
    const b = this.deref(y);
    if (a === false || b === false) return true;
    if (!isObject(a) || !isObject(b) || depth > 8) return false;
    const ta = possibleTypes(a);
    const tb = possibleTypes(b);
    if (!ta.some((t) => tb.some((u) => typesOverlap(t, u)))) return true;
    const va = literalSet(a);
    const vb = literalSet(b);
    if (va && vb && ![...va].some((v) => vb.has(v))) return true;
    const ra = Array.isArray(a.required) ? a.required : [];
    const rb = Array.isArray(b.required) ? b.required : [];
    const pa = isObject(a.properties) ? a.properties : {};
    const pb = isObject(b.properties) ? b.properties : {};
    const objectsOnly = !ta.some((t) => t !== "object") && !tb.some((t) => t !== "object");
    return objectsOnly && ra.some((p) => rb.includes(p) && p in pa && p in pb && this.disjoint(pa[p], pb[p], depth + 1));
  }

  private deref(s: unknown): unknown {
    for (let hops = 0; isObject(s) && typeof s.$ref === "string" && hops < 32; hops++) s = this.resolve(s.$ref, "#");
    return s;
  }
}

function possibleTypes(s: Readonly<Record<string, unknown>>): JsonType[] {
  const lits = "enum" in s && Array.isArray(s.enum) ? s.enum : "const" in s ? [s.const] : null;
  if (lits) return TYPES.filter((t) => lits.some((v) => hasType(v, t)));
  if (typeof s.type === "string") return [s.type as JsonType];
  if (Array.isArray(s.type)) return s.type as JsonType[];
  return [...TYPES];
}

function typesOverlap(t: JsonType, u: JsonType): boolean {
  return t === u || (t === "integer" && u === "number") || (t === "number" && u === "integer");
}

function literalSet(s: Readonly<Record<string, unknown>>): Set<string> | null {
  if ("const" in s) return new Set([canonical(s.const)]);
  if ("enum" in s && Array.isArray(s.enum)) return new Set(s.enum.map(canonical));
  return null;
}

function hasType(v: unknown, t: JsonType): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "number":
      return typeof v === "number";
    case "integer":
      return typeof v === "number" && Number.isInteger(v);
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObject(v);
  }
}

/** JSON text with object keys sorted, so that equal JSON values give equal strings. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(",")}}`;
  return JSON.stringify(v) ?? "undefined";
}

function isObject(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pointerToken(name: string): string {
  return name.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Keys other than the given names: a prefix tree over the names' characters, where leaving the tree by any
 * other character reaches a state that takes any text, and a state is accepting unless it ends a name.
 */
function keysExcept(names: readonly string[]): CharAutomaton {
  const children: Map<number, number>[] = [new Map()];
  const ends: boolean[] = [false];
  for (const name of names) {
    let q = 0;
    for (const ch of name) {
      const cp = ch.codePointAt(0)!;
      let next = children[q]!.get(cp);
      if (next === undefined) {
        next = children.length;
        children.push(new Map());
        ends.push(false);
        children[q]!.set(cp, next);
      }
      q = next;
    }
    ends[q] = true;
  }
  const free = children.length;
  const edges: CharEdge[][] = children.map((kids) => {
    const out: CharEdge[] = [...kids].map(([cp, to]) => ({ set: rangeSet(cp, cp), to }));
    const others: CodepointSet = subtract(ANY_CHAR, union(...[...kids.keys()].map((cp) => rangeSet(cp, cp))));
    out.push({ set: others, to: free });
    return out;
  });
  edges.push([{ set: ANY_CHAR, to: free }]);
  return { start: 0, accepting: [...ends.map((e) => !e), true], edges };
}
