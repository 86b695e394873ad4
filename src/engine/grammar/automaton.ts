import { rangeSet } from "./codepoint-set.js";
import { END, type CompiledGrammar } from "./grammar.js";
import { utf8Sequences } from "./utf8-sequences.js";

/** The state with no stacks: nothing more can be matched. */
export const DEAD = 0;
/** Stack node 0 is the empty stack: the root rule has been matched completely. */
const EMPTY = 0;
const UNKNOWN = -1;
/** Stack node keys pack (position, parent) into one number: parent ids stay below this. */
const NODE_KEY_BASE = 2 ** 26;

/** Multi-byte UTF-8 characters that may stand unescaped in a JSON string (see isAbsorbing). */
const MULTIBYTE_TEXT = utf8Sequences(rangeSet(0x80, 0x10ffff));

/**
 * A pushdown automaton over bytes for a CompiledGrammar, determinized lazily (as llama.cpp's grammar
 * sampler tracks a set of rule stacks, ggml-org/llama.cpp:src/llama-grammar.cpp, but with every stack and
 * every set of stacks interned, so a set of stacks is a small integer and each (state, byte) step is computed
 * once and then read from a table).
 *
 * A stack is a linked list of nodes (position in `code`, parent node); its top position always holds a byte
 * terminal, because rule references are expanded as soon as they surface. Continuations that would only
 * return (the position holds END) are never pushed, so right-recursive repetition runs in constant stack depth
 * and the states inside a long list or string repeat.
 */
export class GrammarAutomaton {
  private readonly g: CompiledGrammar;
  private nodePos!: Int32Array;
  private nodeParent!: Int32Array;
  private nodeCount!: number;
  private nodeIds!: Map<number, number>;
  private stacks!: Int32Array[];
  private stateIds!: Map<string, number>;
  private completeFlags!: Uint8Array;
  private absorbingFlags!: Int8Array;
  /** table[state * 256 + byte] = next state, or UNKNOWN until computed. */
  table!: Int32Array;
  private readonly out = new Set<number>();
  private readonly seen = new Set<number>();

  constructor(g: CompiledGrammar) {
    this.g = g;
    this.reset();
  }

  /** The state before any byte. */
  start(): number {
    this.out.clear();
    this.seen.clear();
    const g = this.g;
    for (let a = g.ruleAlts[g.root]!; a < g.ruleAlts[g.root + 1]!; a++) this.expand(g.altStart[a]!, EMPTY);
    return this.intern();
  }

  get stateCount(): number {
    return this.stacks.length;
  }

  get stackNodeCount(): number {
    return this.nodeCount;
  }

  /** Whether the bytes so far form a complete match of the root rule. */
  isComplete(state: number): boolean {
    return this.completeFlags[state] === 1;
  }

  step(state: number, byte: number): number {
    const t = this.table[state * 256 + byte]!;
    return t >= 0 ? t : this.computeStep(state, byte);
  }

  computeStep(state: number, byte: number): number {
    this.out.clear();
    this.seen.clear();
    const { code, sets } = this.g;
    const word = byte >>> 5;
    const bit = byte & 31;
    for (const n of this.stacks[state]!) {
      if (n === EMPTY) continue;
      const pos = this.nodePos[n]!;
      const set = -2 - code[pos]!;
      if ((sets[set * 8 + word]! >>> bit) & 1) this.expand(pos + 1, this.nodeParent[n]!);
    }
    const next = this.intern();
    this.table[state * 256 + byte] = next;
    return next;
  }

  /**
   * Whether every character that may stand unescaped in a JSON string (U+0020 and up, except `"` and `\`)
   * leads from `state` back to `state`: then every token made of such characters is allowed there and keeps
   * the state, and a mask walk can take whole subtrees of such tokens at once (TokenTrie.textFrom).
   */
  isAbsorbing(state: number): boolean {
    const f = this.absorbingFlags[state]!;
    if (f !== 0) return f > 0;
    const yes = this.absorbs(state);
    this.absorbingFlags[state] = yes ? 1 : -1;
    return yes;
  }

  private absorbs(state: number): boolean {
    if (state === DEAD) return false;
    for (let b = 0x20; b < 0x80; b++) {
      if (b !== 0x22 && b !== 0x5c && this.step(state, b) !== state) return false;
    }
    for (const seq of MULTIBYTE_TEXT) {
      let frontier = new Set([state]);
      for (let i = 0; i < seq.length; i += 2) {
        const next = new Set<number>();
        for (const s of frontier) {
          for (let b = seq[i]!; b <= seq[i + 1]!; b++) {
            const t = this.step(s, b);
            if (t === DEAD) return false;
            next.add(t);
          }
        }
        frontier = next;
      }
      if (frontier.size !== 1 || !frontier.has(state)) return false;
    }
    return true;
  }

  /** Forgets every cached state and step except `keep`, whose new id is returned. Bounds memory on long runs. */
  compact(keep: number): number {
    const paths = Array.from(this.stacks[keep]!, (n) => {
      const p: number[] = [];
      for (let x = n; x !== EMPTY; x = this.nodeParent[x]!) p.push(this.nodePos[x]!);
      return p;
    });
    this.reset();
    this.out.clear();
    for (const p of paths) {
      let n = EMPTY;
      for (let i = p.length - 1; i >= 0; i--) n = this.node(p[i]!, n);
      this.out.add(n);
    }
    return this.intern();
  }

  private reset(): void {
    this.nodePos = new Int32Array(1024);
    this.nodeParent = new Int32Array(1024);
    this.nodePos[EMPTY] = -1;
    this.nodeParent[EMPTY] = -1;
    this.nodeCount = 1;
    this.nodeIds = new Map();
    this.stacks = [new Int32Array(0)];
    this.stateIds = new Map([["", DEAD]]);
    this.completeFlags = new Uint8Array(64);
    this.absorbingFlags = new Int8Array(64);
    this.table = new Int32Array(64 * 256).fill(UNKNOWN);
    this.table.fill(DEAD, 0, 256);
  }

  private expand(pos: number, parent: number): void {
    const key = pos * NODE_KEY_BASE + parent;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const g = this.g;
    const c = g.code[pos]!;
    if (c === END) {
      if (parent === EMPTY) this.out.add(EMPTY);
      else this.expand(this.nodePos[parent]!, this.nodeParent[parent]!);
    } else if (c <= -2) {
      this.out.add(this.node(pos, parent));
    } else {
      const ret = g.code[pos + 1] === END ? parent : this.node(pos + 1, parent);
      for (let a = g.ruleAlts[c]!; a < g.ruleAlts[c + 1]!; a++) this.expand(g.altStart[a]!, ret);
    }
  }

  private node(pos: number, parent: number): number {
    const key = pos * NODE_KEY_BASE + parent;
    let id = this.nodeIds.get(key);
    if (id === undefined) {
      id = this.nodeCount++;
      if (id === this.nodePos.length) {
        this.nodePos = grow(this.nodePos, id * 2);
        this.nodeParent = grow(this.nodeParent, id * 2);
      }
      this.nodePos[id] = pos;
      this.nodeParent[id] = parent;
      this.nodeIds.set(key, id);
    }
    return id;
  }

  private intern(): number {
    if (this.out.size === 0) return DEAD;
    const ids = Int32Array.from(this.out).sort();
    const key = ids.join(",");
    let id = this.stateIds.get(key);
    if (id === undefined) {
      id = this.stacks.length;
      this.stacks.push(ids);
      this.stateIds.set(key, id);
      if (id === this.completeFlags.length) {
        this.completeFlags = grow(this.completeFlags, id * 2);
        this.absorbingFlags = grow(this.absorbingFlags, id * 2);
        const table = new Int32Array(id * 2 * 256).fill(UNKNOWN);
        table.set(this.table);
        this.table = table;
      }
      this.completeFlags[id] = ids[0] === EMPTY ? 1 : 0;
    }
    return id;
  }
}

function grow<T extends Int32Array | Uint8Array | Int8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Upper bounds on cached states and stack nodes before a constraint compacts its automaton. */
export const MAX_STATES = 1 << 14;
export const MAX_STACK_NODES = 1 << 21;
