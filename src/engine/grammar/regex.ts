import type { CharAutomaton, CharEdge } from "./char-automaton.js";
import { ANY_CHAR, charSet, complement, rangeSet, union, type CodepointSet } from "./codepoint-set.js";
import { grammarError } from "./errors.js";

/**
 * A subset of ECMAScript regular expressions (with the `u` flag, as JSON Schema's `pattern` is read) compiled
 * to a CharAutomaton: literals, escapes (\d \w \s and negations, \t \n \v \f \r \0 \xHH \uHHHH \u{H...},
 * escaped syntax characters), classes with ranges and negation, `.`, groups ((...), (?:...), (?<name>...)),
 * alternation and the quantifiers * + ? {n} {n,} {n,m} (lazy forms match the same strings). `^` and `$` are
 * allowed only at the start and end of a top-level alternative; without them a pattern matches anywhere in the
 * string, as JSON Schema says. Anything else (lookaround, backreferences, \b, \p{...}) is an error.
 */
type Re =
  | { readonly k: "set"; readonly set: CodepointSet }
  | { readonly k: "cat"; readonly items: readonly Re[] }
  | { readonly k: "alt"; readonly items: readonly Re[] }
  | { readonly k: "rep"; readonly item: Re; readonly min: number; readonly max: number };

const DIGIT = rangeSet(0x30, 0x39);
const WORD = union(DIGIT, rangeSet(0x41, 0x5a, 0x61, 0x7a), charSet("_"));
const SPACE = union(
  charSet("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"),
  rangeSet(0x2000, 0x200a),
);
const LINE_TERMINATORS = charSet("\n\r\u2028\u2029");
const SYNTAX = "^$\\.*+?()[]{}|/";
/** Above this many automaton states a pattern is refused (bounded repeats are unrolled). */
const MAX_STATES = 10_000;

const anyText: Re = { k: "rep", item: { k: "set", set: ANY_CHAR }, min: 0, max: Infinity };

class PatternParser {
  private pos = 0;
  private readonly src: string;
  private readonly where: string;

  constructor(src: string, where: string) {
    this.src = src;
    this.where = where;
  }

  parsePattern(): Re {
    const branches: Re[] = [];
    for (;;) {
      const anchoredStart = this.eat("^");
      const body = this.sequence(true);
      const anchoredEnd = this.eat("$");
      if (this.peek() !== "|" && this.pos < this.src.length) throw this.fail(`unexpected "${this.peek()}"`);
      const items = [anchoredStart ? null : anyText, body, anchoredEnd ? null : anyText].filter((x) => x !== null);
      branches.push({ k: "cat", items });
      if (!this.eat("|")) break;
    }
    return branches.length === 1 ? branches[0]! : { k: "alt", items: branches };
  }

  private alternation(): Re {
    const items = [this.sequence(false)];
    while (this.eat("|")) items.push(this.sequence(false));
    return items.length === 1 ? items[0]! : { k: "alt", items };
  }

  private sequence(topLevel: boolean): Re {
    const items: Re[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      if (c === "$" && topLevel && (this.pos + 1 === this.src.length || this.src[this.pos + 1] === "|")) break;
      if (c === "^" || c === "$") throw this.fail(`"${c}" is supported only at the start or end of the pattern`);
      items.push(this.quantified(this.atom()));
    }
    return { k: "cat", items };
  }

  private atom(): Re {
    const c = this.next();
    switch (c) {
      case "(": {
        if (this.eat("?")) {
          if (this.eat(":")) {
            /* non-capturing group */
          } else if (this.eat("<") && /^[A-Za-z_$][\w$]*>/.test(this.src.slice(this.pos))) {
            this.pos = this.src.indexOf(">", this.pos) + 1;
          } else throw this.fail("lookaround and other (?...) groups are not supported");
        }
        const inner = this.alternation();
        if (!this.eat(")")) throw this.fail('missing ")"');
        return inner;
      }
      case "[":
        return { k: "set", set: this.charClass() };
      case ".":
        return { k: "set", set: complement(LINE_TERMINATORS) };
      case "\\":
        return { k: "set", set: this.escape(false) };
      case "*":
      case "+":
      case "?":
      case "{":
      case "}":
      case "]":
      case undefined:
        throw this.fail(c === undefined ? "unexpected end" : `unexpected "${c}"`);
      default:
        return { k: "set", set: this.literalChar(c) };
    }
  }

  private literalChar(first: string): CodepointSet {
    // a character outside the BMP is two UTF-16 units in the source
    const cp = first.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdbff && this.pos < this.src.length) {
      const full = this.src.codePointAt(this.pos - 1)!;
      if (full > 0xffff) {
        this.pos++;
        return rangeSet(full, full);
      }
    }
    return rangeSet(cp, cp);
  }

  private quantified(item: Re): Re {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) throw this.fail('"{" does not start a quantifier');
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) throw this.fail(`quantifier {${min},${max}} has its bounds out of order`);
      this.pos += m[0].length - 1;
    } else return item;
    this.pos++;
    this.eat("?");
    return { k: "rep", item, min, max };
  }

  private charClass(): CodepointSet {
    const negated = this.eat("^");
    const parts: CodepointSet[] = [];
    for (;;) {
      const c = this.next();
      if (c === undefined) throw this.fail('missing "]"');
      if (c === "]") break;
      const lo = c === "\\" ? this.escape(true) : this.literalChar(c);
      if (this.peek() === "-" && this.src[this.pos + 1] !== "]" && this.pos + 1 < this.src.length) {
        this.pos++;
        const d = this.next()!;
        const hi = d === "\\" ? this.escape(true) : this.literalChar(d);
        if (lo.length !== 2 || hi.length !== 2 || lo[0] !== lo[1] || hi[0] !== hi[1]) {
          throw this.fail("a class range needs single characters at both ends");
        }
        if (hi[0]! < lo[0]!) throw this.fail("class range out of order");
        parts.push(rangeSet(lo[0]!, hi[0]!));
      } else parts.push(lo);
    }
    const set = union(...parts);
    return negated ? complement(set) : set;
  }

  private escape(inClass: boolean): CodepointSet {
    const c = this.next();
    if (c === undefined) throw this.fail("pattern ends with a backslash");
    switch (c) {
      case "d":
        return DIGIT;
      case "D":
        return complement(DIGIT);
      case "w":
        return WORD;
      case "W":
        return complement(WORD);
      case "s":
        return SPACE;
      case "S":
        return complement(SPACE);
      case "t":
        return charSet("\t");
      case "n":
        return charSet("\n");
      case "v":
        return charSet("\v");
      case "f":
        return charSet("\f");
      case "r":
        return charSet("\r");
      case "0":
        if (/[0-9]/.test(this.peek() ?? "")) throw this.fail("octal escapes are not supported");
        return charSet("\0");
      case "x":
        return this.hexEscape(/^[0-9A-Fa-f]{2}/);
      case "u":
        if (this.eat("{")) {
          const m = /^([0-9A-Fa-f]{1,6})\}/.exec(this.src.slice(this.pos));
          if (!m || parseInt(m[1]!, 16) > 0x10ffff) throw this.fail("bad \\u{...} escape");
          this.pos += m[0].length;
          const cp = parseInt(m[1]!, 16);
          return rangeSet(cp, cp);
        }
        return this.hexEscape(/^[0-9A-Fa-f]{4}/);
      case "-":
        if (inClass) return charSet("-");
        break;
      default:
        if (SYNTAX.includes(c)) return charSet(c);
    }
    throw this.fail(`escape "\\${c}" is not supported`);
  }

  private hexEscape(re: RegExp): CodepointSet {
    const m = re.exec(this.src.slice(this.pos));
    if (!m) throw this.fail("bad hexadecimal escape");
    this.pos += m[0].length;
    const cp = parseInt(m[0], 16);
    return rangeSet(cp, cp);
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private next(): string | undefined {
    return this.src[this.pos++];
  }

  private eat(c: string): boolean {
    if (this.src[this.pos] !== c) return false;
    this.pos++;
    return true;
  }

  private fail(what: string): Error {
    return grammarError(`${this.where}: pattern ${JSON.stringify(this.src)} at offset ${this.pos}: ${what}`);
  }
}

/** Thompson construction with empty moves, then closure over them. */
class NfaBuilder {
  readonly eps: number[][] = [];
  readonly moves: CharEdge[][] = [];
  private readonly where: string;

  constructor(where: string) {
    this.where = where;
  }

  add(): number {
    if (this.eps.length >= MAX_STATES) throw grammarError(`${this.where}: pattern is too large to compile`);
    this.eps.push([]);
    this.moves.push([]);
    return this.eps.length - 1;
  }

  /** Adds `re` starting at state `from`; returns its end state. */
  build(re: Re, from: number): number {
    switch (re.k) {
      case "set": {
        const to = this.add();
        this.moves[from]!.push({ set: re.set, to });
        return to;
      }
      case "cat":
        return re.items.reduce((s, item) => this.build(item, s), from);
      case "alt": {
        const end = this.add();
        for (const item of re.items) {
          const start = this.add();
          this.eps[from]!.push(start);
          this.eps[this.build(item, start)]!.push(end);
        }
        return end;
      }
      case "rep": {
        let cur = from;
        for (let i = 0; i < re.min; i++) {
          const next = this.add();
          this.eps[this.build(re.item, cur)]!.push(next);
          cur = next;
        }
        const end = this.add();
        this.eps[cur]!.push(end);
        if (re.max === Infinity) {
          const loop = this.add();
          this.eps[cur]!.push(loop);
          this.eps[this.build(re.item, loop)]!.push(cur);
        } else {
          for (let i = re.min; i < re.max; i++) {
            const next = this.add();
            this.eps[this.build(re.item, cur)]!.push(next);
            this.eps[next]!.push(end);
            cur = next;
          }
        }
        return end;
      }
    }
  }

  /** The equivalent automaton without empty moves, restricted to states reachable from `start`. */
  finish(start: number, accept: number): CharAutomaton {
    const closures = this.eps.map((_, q) => {
      const seen = new Set([q]);
      const stack = [q];
      while (stack.length > 0) {
        for (const r of this.eps[stack.pop()!]!) {
          if (seen.has(r)) continue;
          seen.add(r);
          stack.push(r);
        }
      }
      return seen;
    });
    const ids = new Map<number, number>([[start, 0]]);
    const order = [start];
    const edges: CharEdge[][] = [];
    const accepting: boolean[] = [];
    for (let i = 0; i < order.length; i++) {
      const q = order[i]!;
      const byTarget = new Map<number, CodepointSet[]>();
      for (const p of closures[q]!) {
        for (const m of this.moves[p]!) {
          let t = ids.get(m.to);
          if (t === undefined) {
            t = order.length;
            ids.set(m.to, t);
            order.push(m.to);
          }
          byTarget.set(t, [...(byTarget.get(t) ?? []), m.set]);
        }
      }
      edges.push([...byTarget].map(([to, sets]) => ({ set: union(...sets), to })));
      accepting.push(closures[q]!.has(accept));
    }
    return { start: 0, accepting, edges };
  }
}

/** Compiles a JSON Schema `pattern` to an automaton over the string's characters. `where` names it in errors. */
export function patternAutomaton(pattern: string, where: string): CharAutomaton {
  const re = new PatternParser(pattern, where).parsePattern();
  const nfa = new NfaBuilder(where);
  const start = nfa.add();
  const accept = nfa.build(re, start);
  return nfa.finish(start, accept);
}
