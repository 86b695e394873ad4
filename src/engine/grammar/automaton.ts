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
/**
 * textRun's "unlimited": more characters than Gemma's longest token has (48 bytes). A token with more would
 * just not be taken by the shortcut.
 */
const TEXT_RUN_CAP = 64;

/** Multi-byte UTF-8 characters (all may stand unescaped in a JSON string; see textRun). */
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
  /** textRun(state) + 1, or 0 while unknown. */
  private textRuns!: Uint8Array;
  /** commonTextStep(state), or UNKNOWN. */
  private textNext!: Int32Array;
  private classified!: Uint8Array;
  /** byteClass[state * 256 + byte]: which class of bytes (see classify) the byte is in, for that state. */
  private byteClass!: Uint8Array;
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

  /**
   * Computes the step from `state` on `byte`, and fills it in for every byte of its class: bytes that the same
   * stack tops accept lead to the same state, so a row of the table takes one expansion per class of bytes
   * that is actually used (usually a handful) rather than one per byte.
   */
  computeStep(state: number, byte: number): number {
    if (!this.classified[state]) this.classify(state);
    const { code, sets } = this.g;
    const stacks = this.stacks[state]!;
    const word = byte >>> 5;
    const bit = byte & 31;
    this.out.clear();
    this.seen.clear();
    for (const n of stacks) {
      if (n === EMPTY) continue;
      const pos = this.nodePos[n]!;
      if ((sets[(-2 - code[pos]!) * 8 + word]! >>> bit) & 1) this.expand(pos + 1, this.nodeParent[n]!);
    }
    const next = this.intern();
    const row = state * 256;
    const classes = this.byteClass;
    const cls = classes[row + byte];
    for (let b = 0; b < 256; b++) if (classes[row + b] === cls) this.table[row + b] = next;
    return next;
  }

  /** Numbers the classes of bytes that the same stacks of `state` accept. */
  private classify(state: number): void {
    const { code, sets } = this.g;
    const stacks = this.stacks[state]!;
    const words = Math.max(1, Math.ceil(stacks.length / 32));
    const sig = new Uint32Array(256 * words);
    stacks.forEach((n, i) => {
      if (n === EMPTY) return;
      const set = (-2 - code[this.nodePos[n]!]!) * 8;
      for (let b = 0; b < 256; b++) if ((sets[set + (b >>> 5)]! >>> (b & 31)) & 1) sig[b * words + (i >>> 5)]! |= 1 << (i & 31);
    });
    const ids = new Map<string, number>();
    const row = state * 256;
    for (let b = 0; b < 256; b++) {
      const key = words === 1 ? String(sig[b]) : sig.subarray(b * words, (b + 1) * words).join(",");
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      this.byteClass[row + b] = id;
    }
    this.classified[state] = 1;
  }

  /**
   * How many characters that may stand unescaped in a JSON string (U+0020 and up, except `"` and `\`) can
   * follow `state`, whichever they are: within that many, every such character leads to one common state and
   * none is refused. A mask walk takes a whole subtree of text tokens at once where they fit
   * (TokenTrie.textChars). Inside a plain string the run is unlimited (TEXT_RUN_CAP); inside a string with a
   * maximum length it counts down. Only exact runs are cached.
   */
  textRun(state: number): number {
    const known = this.textRuns[state]!;
    if (known !== 0) return known - 1;
    const chain: number[] = [];
    let x = state;
    let after = 0; // the run of the state after the last one in the chain
    for (;;) {
      const next = this.commonTextStep(x);
      if (next === DEAD) {
        after = -1;
        chain.push(x);
        break;
      }
      if (next === x) {
        after = TEXT_RUN_CAP;
        break;
      }
      chain.push(x);
      if (this.textRuns[next] !== 0) {
        after = this.textRuns[next]! - 1;
        break;
      }
      if (chain.length === TEXT_RUN_CAP) {
        // only the first state is known to reach the cap; the others are left to later calls
        this.textRuns[state] = TEXT_RUN_CAP + 1;
        return TEXT_RUN_CAP;
      }
      x = next;
    }
    // chain[k] takes one character more than chain[k + 1]; a state that leads to itself takes any number
    let run = after;
    if (chain.length === 0) this.textRuns[x] = TEXT_RUN_CAP + 1;
    for (let k = chain.length - 1; k >= 0; k--) {
      run = Math.min(TEXT_RUN_CAP, run + 1);
      this.textRuns[chain[k]!] = run + 1;
    }
    return this.textRuns[state]! - 1;
  }

  /** The state every JSON text character leads to from `state`, or DEAD if they do not all lead to one. */
  private commonTextStep(state: number): number {
    const known = this.textNext[state]!;
    if (known >= 0) return known;
    const next = this.findCommonTextStep(state);
    this.textNext[state] = next;
    return next;
  }

  private findCommonTextStep(state: number): number {
    if (state === DEAD) return DEAD;
    const target = this.step(state, 0x20);
    if (target === DEAD) return DEAD;
    for (let b = 0x21; b < 0x80; b++) {
      if (b !== 0x22 && b !== 0x5c && this.step(state, b) !== target) return DEAD;
    }
    for (const seq of MULTIBYTE_TEXT) {
      let frontier = new Set([state]);
      for (let i = 0; i < seq.length; i += 2) {
        const next = new Set<number>();
        for (const s of frontier) {
          for (let b = seq[i]!; b <= seq[i + 1]!; b++) {
            const t = this.step(s, b);
            if (t === DEAD) return DEAD;
            next.add(t);
          }
        }
        frontier = next;
      }
      if (frontier.size !== 1 || !frontier.has(target)) return DEAD;
    }
    return target;
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
    this.textRuns = new Uint8Array(64);
    this.textNext = new Int32Array(64).fill(UNKNOWN);
    this.classified = new Uint8Array(64);
    this.byteClass = new Uint8Array(64 * 256);
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
        this.textRuns = grow(this.textRuns, id * 2);
        this.textNext = grow(this.textNext, id * 2).fill(UNKNOWN, id);
        this.classified = grow(this.classified, id * 2);
        this.byteClass = grow(this.byteClass, id * 2 * 256);
        const table = new Int32Array(id * 2 * 256).fill(UNKNOWN);
        table.set(this.table);
        this.table = table;
      }
      this.completeFlags[id] = ids[0] === EMPTY ? 1 : 0;
    }
    return id;
  }
}

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

/** Upper bounds on cached states and stack nodes before a constraint compacts its automaton. */
export const MAX_STATES = 1 << 14;
export const MAX_STACK_NODES = 1 << 21;
