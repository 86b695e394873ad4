import { ANY_CHAR, complement, rangeSet, union, type CodepointSet } from "./codepoint-set.js";
import { grammarError } from "./errors.js";
import { GrammarBuilder, type CompiledGrammar, type Element } from "./grammar.js";

/**
 * Parses a GBNF grammar (the format of llama.cpp's grammars/README.md) and compiles it:
 * `name ::= alternatives` rules (one per line, or continued by a line starting with `|`, or inside
 * parentheses), "literals", [classes] with ranges and ^ negation, `.`, (groups), the postfix operators
 * * + ? {m} {m,} {m,n} {,n}, `#` comments, and the escapes \n \r \t \\ \" \' \[ \] \- \xHH \uHHHH \UHHHHHHHH.
 * Characters are Unicode code points, matched as UTF-8. The start rule is `root`. Token references are not
 * supported.
 */
export function compileGbnf(src: string): CompiledGrammar {
  return new GbnfParser(src).parse();
}

const NAME = /^[A-Za-z0-9_-]+/;

class GbnfParser {
  private readonly src: string;
  private pos = 0;
  private readonly b = new GrammarBuilder();
  private readonly rules = new Map<string, number>();
  private readonly defined = new Set<string>();
  private readonly firstUse = new Map<string, number>();
  private groups = 0;

  constructor(src: string) {
    this.src = src;
  }

  parse(): CompiledGrammar {
    this.skip(true);
    while (this.pos < this.src.length) {
      const name = this.name();
      this.skip(false);
      if (!this.src.startsWith("::=", this.pos)) throw this.fail(`expected "::=" after rule name "${name}"`);
      this.pos += 3;
      if (this.defined.has(name)) throw this.fail(`rule "${name}" is defined twice`);
      this.defined.add(name);
      const r = this.ruleId(name);
      for (const alt of this.alternatives(false)) this.b.alt(r, alt);
      this.skip(true);
    }
    for (const [name, at] of this.firstUse) {
      if (!this.defined.has(name)) throw grammarError(`grammar: rule "${name}" used at ${this.where(at)} is not defined`);
    }
    if (!this.defined.has("root")) throw grammarError('grammar: there is no "root" rule');
    return this.b.build(this.rules.get("root")!, "the grammar");
  }

  private alternatives(nested: boolean): Element[][] {
    const alts = [this.sequence(nested)];
    for (;;) {
      const save = this.pos;
      this.skip(true);
      if (this.src[this.pos] === "|") {
        this.pos++;
        this.skip(true);
        alts.push(this.sequence(nested));
      } else {
        if (!nested) this.pos = save;
        return alts;
      }
    }
  }

  private sequence(nested: boolean): Element[] {
    const seq: Element[] = [];
    for (;;) {
      this.skip(nested);
      const c = this.src[this.pos];
      if (c === undefined || c === "|" || c === ")" || c === "\n" || c === "\r") return seq;
      if (NAME.test(this.src.slice(this.pos)) && this.isRuleStart()) return seq;
      const start = this.pos;
      const atom = this.atom();
      seq.push(...this.postfix(atom, start));
    }
  }

  /** Whether a name here begins the next rule (`name ::=`), which ends the current one. */
  private isRuleStart(): boolean {
    const m = NAME.exec(this.src.slice(this.pos))!;
    return /^[ \t]*::=/.test(this.src.slice(this.pos + m[0].length));
  }

  private atom(): Element[] {
    const b = this.b;
    const c = this.src[this.pos]!;
    if (c === '"') {
      this.pos++;
      const bytes: number[] = [];
      const enc = new TextEncoder();
      while (this.src[this.pos] !== '"') {
        if (this.pos >= this.src.length) throw this.fail("unterminated string");
        const cp = this.char();
        bytes.push(...enc.encode(String.fromCodePoint(cp)));
      }
      this.pos++;
      return b.literal(Uint8Array.from(bytes));
    }
    if (c === "[") {
      this.pos++;
      const negated = this.src[this.pos] === "^";
      if (negated) this.pos++;
      const parts: CodepointSet[] = [];
      while (this.src[this.pos] !== "]") {
        if (this.pos >= this.src.length) throw this.fail("unterminated character class");
        const lo = this.char();
        if (this.src[this.pos] === "-" && this.src[this.pos + 1] !== "]") {
          this.pos++;
          const hi = this.char();
          if (hi < lo) throw this.fail("character range out of order");
          parts.push(rangeSet(lo, hi));
        } else parts.push(rangeSet(lo, lo));
      }
      this.pos++;
      const set = union(...parts);
      return [b.charClass(negated ? complement(set) : set)];
    }
    if (c === ".") {
      this.pos++;
      return [b.charClass(ANY_CHAR)];
    }
    if (c === "(") {
      this.pos++;
      const r = b.choice(`group ${++this.groups}`, this.alternatives(true));
      this.skip(true);
      if (this.src[this.pos] !== ")") throw this.fail('expected ")"');
      this.pos++;
      return [r];
    }
    if (NAME.test(this.src.slice(this.pos))) {
      const at = this.pos;
      const name = this.name();
      if (!this.firstUse.has(name)) this.firstUse.set(name, at);
      return [this.ruleId(name)];
    }
    if (c === "<" || c === "!") throw this.fail("token references are not supported");
    throw this.fail(`unexpected "${c}"`);
  }

  private postfix(atom: Element[], start: number): Element[] {
    const b = this.b;
    let out = atom;
    for (;;) {
      const c = this.src[this.pos];
      let min: number;
      let max: number;
      if (c === "*") [min, max] = [0, Infinity];
      else if (c === "+") [min, max] = [1, Infinity];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const m = /^\{\s*(\d*)\s*(,\s*(\d*)\s*)?\}/.exec(this.src.slice(this.pos));
        if (!m || (m[1] === "" && m[2] === undefined)) throw this.fail("bad repetition count");
        min = m[1] === "" ? 0 : Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
        if (max < min) throw this.fail("repetition bounds out of order");
        this.pos += m[0].length - 1;
      } else return out;
      this.pos++;
      out = [b.repeat(`repeat at ${this.where(start)}`, out, min, max)];
    }
  }

  /** One character of a literal or class, with escapes; returns its code point. */
  private char(): number {
    const c = this.src.codePointAt(this.pos)!;
    this.pos += c > 0xffff ? 2 : 1;
    if (c !== 0x5c) return c;
    const e = this.src[this.pos++];
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, "\\": 92, '"': 34, "'": 39, "[": 91, "]": 93, "-": 45 };
    if (e !== undefined && e in simple) return simple[e]!;
    const digits = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    const hex = this.src.slice(this.pos, this.pos + digits);
    if (digits === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits) throw this.fail(`bad escape "\\${e ?? ""}"`);
    this.pos += digits;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) throw this.fail("escape beyond U+10FFFF");
    return cp;
  }

  private name(): string {
    const m = NAME.exec(this.src.slice(this.pos));
    if (!m) throw this.fail("expected a rule name");
    this.pos += m[0].length;
    return m[0];
  }

  private ruleId(name: string): number {
    let r = this.rules.get(name);
    if (r === undefined) {
      r = this.b.rule(name);
      this.rules.set(name, r);
    }
    return r;
  }

  /** Skips spaces and comments, and newlines too when `newlines`. */
  private skip(newlines: boolean): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === " " || c === "\t" || ((c === "\n" || c === "\r") && newlines)) this.pos++;
      else if (c === "#") while (this.pos < this.src.length && this.src[this.pos] !== "\n") this.pos++;
      else return;
    }
  }

  private where(at: number): string {
    const before = this.src.slice(0, at);
    const line = before.split("\n").length;
    return `line ${line}, column ${at - before.lastIndexOf("\n")}`;
  }

  private fail(what: string): Error {
    return grammarError(`grammar: ${what} at ${this.where(this.pos)}`);
  }
}
