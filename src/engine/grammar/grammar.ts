import type { CodepointSet } from "./codepoint-set.js";
import { grammarError } from "./errors.js";
import { utf8Sequences } from "./utf8-sequences.js";

/**
 * A grammar element: a reference to a rule (a rule id, >= 0) or a terminal that matches one byte out of a
 * set (-2 - set id). Grammars work on bytes, so tokens that end inside a multi-byte character need no
 * special case; character classes become alternatives of UTF-8 byte-range sequences.
 */
export type Element = number;

/** Marks the end of an alternative in CompiledGrammar.code. */
export const END = -1;

export function isTerminal(e: Element): boolean {
  return e <= -2;
}

/** A grammar laid out for the automaton: every alternative is a run of `code` ending with END. */
export interface CompiledGrammar {
  readonly code: Int32Array;
  /** Rule r's alternatives start at code positions altStart[ruleAlts[r] .. ruleAlts[r + 1]). */
  readonly ruleAlts: Int32Array;
  readonly altStart: Int32Array;
  /** Byte sets, 8 words (256 bits) each. */
  readonly sets: Uint32Array;
  readonly root: number;
}

interface Rule {
  readonly name: string;
  readonly alts: Element[][];
}

/** Builds a context-free grammar over bytes. Rules may be declared first and given alternatives later. */
export class GrammarBuilder {
  private readonly rules: Rule[] = [];
  private readonly setWords: number[] = [];
  private readonly setIds = new Map<string, number>();
  private readonly classRules = new Map<string, number>();

  rule(name: string): number {
    this.rules.push({ name, alts: [] });
    return this.rules.length - 1;
  }

  /** Adds an alternative (a sequence of elements; empty = matches nothing). */
  alt(rule: number, seq: readonly Element[]): void {
    this.rules[rule]!.alts.push([...seq]);
  }

  /** A rule with the given alternatives. */
  choice(name: string, alts: readonly (readonly Element[])[]): number {
    const r = this.rule(name);
    for (const a of alts) this.alt(r, a);
    return r;
  }

  /** A terminal matching any byte in lo..hi. */
  byteRange(lo: number, hi: number): Element {
    const words = new Uint32Array(8);
    for (let b = lo; b <= hi; b++) words[b >>> 5]! |= 1 << (b & 31);
    return this.byteSet(words);
  }

  /** A terminal matching the bytes whose bits are set in `words` (8 x 32 bits). */
  byteSet(words: Uint32Array): Element {
    const key = words.join(",");
    let id = this.setIds.get(key);
    if (id === undefined) {
      id = this.setWords.length / 8;
      this.setWords.push(...words);
      this.setIds.set(key, id);
    }
    return -2 - id;
  }

  /** A terminal matching any of these ASCII characters. */
  anyOf(chars: string): Element {
    const words = new Uint32Array(8);
    for (let i = 0; i < chars.length; i++) {
      const c = chars.charCodeAt(i);
      words[c >>> 5]! |= 1 << (c & 31);
    }
    return this.byteSet(words);
  }

  /** Terminals matching exactly these bytes. */
  literal(bytes: Uint8Array | string): Element[] {
    const b = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    return Array.from(b, (x) => this.byteRange(x, x));
  }

  /** A rule matching the UTF-8 encoding of one character of `set` (shared between equal sets). */
  charClass(set: CodepointSet): number {
    const key = set.join(",");
    let r = this.classRules.get(key);
    if (r === undefined) {
      r = this.rule(`[class ${key}]`);
      for (const seq of utf8Sequences(set)) {
        const elems: Element[] = [];
        for (let i = 0; i < seq.length; i += 2) elems.push(this.byteRange(seq[i]!, seq[i + 1]!));
        this.alt(r, elems);
      }
      this.classRules.set(key, r);
    }
    return r;
  }

  /** A rule matching `body` repeated min..max times (max = Infinity: unbounded), as a right-recursive chain. */
  repeat(name: string, body: readonly Element[], min: number, max: number): number {
    if (max === Infinity) {
      const loop = this.rule(`${name}*`);
      this.alt(loop, []);
      this.alt(loop, [...body, loop]);
      if (min === 0) return loop;
      const r = this.rule(name);
      const seq: Element[] = [];
      for (let i = 0; i < min; i++) seq.push(...body);
      this.alt(r, [...seq, loop]);
      return r;
    }
    // tail[k] matches 0..k more copies
    let tail = this.rule(`${name}{0}`);
    this.alt(tail, []);
    for (let k = 1; k <= max - min; k++) {
      const next = this.rule(`${name}{0,${k}}`);
      this.alt(next, []);
      this.alt(next, [...body, tail]);
      tail = next;
    }
    const r = this.rule(name);
    const seq: Element[] = [];
    for (let i = 0; i < min; i++) seq.push(...body);
    this.alt(r, [...seq, tail]);
    return r;
  }

  /**
   * Lays the grammar out for the automaton. Alternatives that can never match (they use a rule that derives
   * no string) are dropped, so every state the automaton reaches can still be completed. Throws when the
   * root matches nothing or when a rule is left-recursive (the automaton expands rules eagerly).
   */
  build(root: number, what: string): CompiledGrammar {
    const productive = this.productiveRules();
    if (!productive[root]) throw grammarError(`${what} matches no document`);
    const alts = this.rules.map((r, i) =>
      productive[i] ? r.alts.filter((a) => a.every((e) => isTerminal(e) || productive[e])) : [],
    );
    this.checkLeftRecursion(alts);
    const code: number[] = [];
    const altStart: number[] = [];
    const ruleAlts = new Int32Array(this.rules.length + 1);
    for (let r = 0; r < this.rules.length; r++) {
      ruleAlts[r] = altStart.length;
      for (const a of alts[r]!) {
        altStart.push(code.length);
        code.push(...a, END);
      }
    }
    ruleAlts[this.rules.length] = altStart.length;
    return {
      code: Int32Array.from(code),
      ruleAlts,
      altStart: Int32Array.from(altStart),
      sets: Uint32Array.from(this.setWords),
      root,
    };
  }

  private productiveRules(): boolean[] {
    const ok = this.rules.map(() => false);
    let changed = true;
    while (changed) {
      changed = false;
      this.rules.forEach((r, i) => {
        if (!ok[i] && r.alts.some((a) => a.every((e) => isTerminal(e) || ok[e]))) {
          ok[i] = true;
          changed = true;
        }
      });
    }
    return ok;
  }

  private checkLeftRecursion(alts: Element[][][]): void {
    const nullable = alts.map(() => false);
    let changed = true;
    while (changed) {
      changed = false;
      alts.forEach((as, i) => {
        if (!nullable[i] && as.some((a) => a.every((e) => !isTerminal(e) && nullable[e]))) {
          nullable[i] = true;
          changed = true;
        }
      });
    }
    // rules each rule can start with, without consuming a byte
    const firsts = alts.map((as) => {
      const out = new Set<number>();
      for (const a of as) {
        for (const e of a) {
          if (isTerminal(e)) break;
          out.add(e);
          if (!nullable[e]) break;
        }
      }
      return out;
    });
    const state = new Uint8Array(alts.length); // 0 new, 1 on the path, 2 done
    const path: number[] = [];
    const visit = (r: number): void => {
      state[r] = 1;
      path.push(r);
      for (const s of firsts[r]!) {
        if (state[s] === 1) {
          const cycle = path.slice(path.indexOf(s)).map((x) => this.rules[x]!.name);
          throw grammarError(`rule "${cycle[0]}" is left-recursive (${[...cycle, cycle[0]].join(" -> ")})`);
        }
        if (state[s] === 0) visit(s);
      }
      path.pop();
      state[r] = 2;
    };
    for (let r = 0; r < alts.length; r++) if (state[r] === 0) visit(r);
  }
}
