import type { CharAutomaton } from "./char-automaton.js";
import { ANY_CHAR, intersect, isEmpty, rangeSet, sameSet, subtract, union, type CodepointSet } from "./codepoint-set.js";
import { grammarError } from "./errors.js";
import type { Element, GrammarBuilder } from "./grammar.js";

/** Characters a JSON string may hold unescaped (RFC 8259 section 7). */
const UNESCAPED = subtract(ANY_CHAR, union(rangeSet(0, 0x1f), rangeSet(0x22, 0x22), rangeSet(0x5c, 0x5c)));
const SHORT_ESCAPES: ReadonlyMap<number, string> = new Map([
  [0x22, '"'],
  [0x5c, "\\"],
  [0x08, "b"],
  [0x0c, "f"],
  [0x0a, "n"],
  [0x0d, "r"],
  [0x09, "t"],
]);
/** Above this many (automaton state, length) pairs a string rule is refused as too large. */
const MAX_STRING_RULES = 200_000;

/**
 * Writes grammar rules for JSON strings. A string rule matches the quotes and the encoded characters of any
 * text a CharAutomaton accepts whose length in characters (code points, as JSON Schema counts) is in range.
 *
 * An unrestricted character may be written in every form JSON allows: raw UTF-8, a short escape, `\uXXXX`,
 * or a surrogate pair of `\u` escapes for one character beyond U+FFFF (a lone surrogate is never written, so
 * every escape is one character). A character from a narrower set (from a pattern, an enum of keys) is written
 * raw, or escaped only where JSON requires it (`"`, `\` and controls, short form or `\u00XX`).
 */
export class JsonStringWriter {
  private readonly b: GrammarBuilder;
  private readonly charRules = new Map<string, number>();
  private hexDigit: Element | undefined;

  constructor(b: GrammarBuilder) {
    this.b = b;
  }

  /** A rule matching one encoded character of `set`. */
  charRule(set: CodepointSet): number {
    const key = set.join(",");
    let r = this.charRules.get(key);
    if (r !== undefined) return r;
    const b = this.b;
    r = b.rule(`json-char ${key}`);
    const raw = intersect(set, UNESCAPED);
    if (!isEmpty(raw)) b.alt(r, [b.charClass(raw)]);
    const backslash = b.byteRange(0x5c, 0x5c);
    if (sameSet(set, ANY_CHAR)) {
      const hex = this.hex();
      const u = b.byteRange(0x75, 0x75);
      const d = this.caseless(0x64);
      b.alt(r, [backslash, b.anyOf('"\\/bfnrt')]);
      b.alt(r, [backslash, u, b.anyOf("0123456789abcefABCEF"), hex, hex, hex]);
      b.alt(r, [backslash, u, d, b.anyOf("01234567"), hex, hex]);
      // a high surrogate escape followed by a low one
      b.alt(r, [backslash, u, d, b.anyOf("89abAB"), hex, hex, backslash, u, d, b.anyOf("cdefCDEF"), hex, hex]);
    } else {
      for (const cp of escapedMembers(set)) {
        const short = SHORT_ESCAPES.get(cp);
        if (short !== undefined) b.alt(r, [backslash, ...b.literal(short)]);
        const h = cp.toString(16).padStart(4, "0");
        b.alt(r, [backslash, ...b.literal("u"), ...Array.from(h, (c) => this.caseless(c.charCodeAt(0)))]);
      }
    }
    this.charRules.set(key, r);
    return r;
  }

  /**
   * A rule for a whole JSON string: the text is accepted by `text` and has minLength..maxLength characters
   * (maxLength may be Infinity). Built from the reachable (automaton state, length so far) pairs; lengths at or
   * past minLength are merged when there is no maximum.
   */
  stringRule(name: string, text: CharAutomaton, minLength: number, maxLength: number): number {
    const b = this.b;
    const cap = maxLength === Infinity ? minLength : maxLength;
    const quote = b.byteRange(0x22, 0x22);
    const rules = new Map<number, number>();
    const todo: [number, number][] = [];
    const ruleFor = (q: number, k: number): number => {
      const key = q * (cap + 1) + k;
      let r = rules.get(key);
      if (r === undefined) {
        if (rules.size >= MAX_STRING_RULES) throw grammarError(`${name}: the string constraints are too large to compile`);
        r = b.rule(`${name} (state ${q}, ${k} chars)`);
        rules.set(key, r);
        todo.push([q, k]);
      }
      return r;
    };
    const first = ruleFor(text.start, 0);
    while (todo.length > 0) {
      const [q, k] = todo.pop()!;
      const r = ruleFor(q, k);
      if (text.accepting[q] && k >= minLength) b.alt(r, [quote]);
      if (k === maxLength) continue;
      const k2 = Math.min(k + 1, cap);
      for (const e of text.edges[q]!) b.alt(r, [this.charRule(e.set), ruleFor(e.to, k2)]);
    }
    return b.choice(name, [[quote, first]]);
  }

  private hex(): Element {
    this.hexDigit ??= this.b.anyOf("0123456789abcdefABCDEF");
    return this.hexDigit;
  }

  private caseless(c: number): Element {
    const ch = String.fromCharCode(c);
    return this.b.anyOf(ch.toLowerCase() + ch.toUpperCase());
  }
}

/** Members of `set` that JSON requires escaped. */
function escapedMembers(set: CodepointSet): number[] {
  const out: number[] = [];
  const need = intersect(set, subtract(rangeSet(0, 0x7f), UNESCAPED));
  for (let i = 0; i < need.length; i += 2) for (let cp = need[i]!; cp <= need[i + 1]!; cp++) out.push(cp);
  return out;
}
