import { DEAD, GrammarAutomaton, MAX_STACK_NODES, MAX_STATES } from "./automaton.js";
import { grammarError } from "./errors.js";
import type { CompiledGrammar } from "./grammar.js";
import type { VocabBytes } from "./vocab-bytes.js";

/** Restricts which tokens may come next so that the output follows a grammar. */
export interface TokenConstraint {
  /** Marks allowed next tokens: sets logits of disallowed ids to -Infinity in place. */
  mask(logits: Float32Array): void;
  /** Whether `token` is allowed now (cheap check before masking). */
  allows(token: number): boolean;
  /** Advances the state by an accepted token; throws GemmaError if it was not allowed. */
  accept(token: number): void;
  /** True when the output so far is a complete valid document (end-of-generation tokens are allowed only then). */
  readonly complete: boolean;
}

/** Masks kept per constraint before the cache is emptied (each is a short list of runs). */
const MAX_CACHED_MASKS = 4096;

/** When the automaton's caches are emptied (GrammarAutomaton.compact): past this many states or stack nodes. */
export interface CacheLimits {
  readonly maxStates: number;
  readonly maxStackNodes: number;
}

const DEFAULT_LIMITS: CacheLimits = { maxStates: MAX_STATES, maxStackNodes: MAX_STACK_NODES };

/**
 * A TokenConstraint for a byte grammar over a vocabulary. The allowed set of a state is found by walking the
 * vocabulary's prefix tree with the automaton, cutting off every subtree whose prefix is already dead, and
 * cached per state as runs of the trie's byte-sorted token order.
 */
export class GrammarConstraint implements TokenConstraint {
  private readonly vocab: VocabBytes;
  private readonly automaton: GrammarAutomaton;
  private readonly isEnd: Uint8Array;
  private readonly masks = new Map<number, Int32Array<ArrayBuffer>>();
  private readonly depthStates: Int32Array;
  private runs: Int32Array<ArrayBuffer> = new Int32Array(256);
  private kept = new Float32Array(0);
  private readonly endLogits: Float32Array;
  private readonly limits: CacheLimits;
  private state: number;
  private finished = false;
  private bytesAccepted = 0;

  constructor(vocab: VocabBytes, grammar: CompiledGrammar, limits: CacheLimits = DEFAULT_LIMITS) {
    this.vocab = vocab;
    this.limits = limits;
    this.automaton = new GrammarAutomaton(grammar);
    this.state = this.automaton.start();
    this.isEnd = new Uint8Array(vocab.size);
    for (const t of vocab.endTokens) this.isEnd[t] = 1;
    this.depthStates = new Int32Array(vocab.trie.maxDepth + 1);
    this.endLogits = new Float32Array(vocab.endTokens.length);
  }

  get complete(): boolean {
    return this.automaton.isComplete(this.state);
  }

  allows(token: number): boolean {
    if (this.finished || !(token >= 0 && token < this.vocab.size)) return false;
    if (this.isEnd[token]) return this.complete;
    return this.advance(token) !== DEAD;
  }

  accept(token: number): void {
    if (this.finished) throw grammarError(`token ${token} comes after the end of the constrained output`);
    if (!(Number.isInteger(token) && token >= 0 && token < this.vocab.size)) {
      throw grammarError(`token ${token} is outside the vocabulary of ${this.vocab.size}`);
    }
    if (this.isEnd[token]) {
      if (!this.complete) throw grammarError(`end token ${token} at byte ${this.bytesAccepted}: the output is not complete yet`);
      this.finished = true;
      return;
    }
    const next = this.advance(token);
    if (next === DEAD) {
      const { data, offsets } = this.vocab;
      const text = new TextDecoder().decode(data.subarray(offsets[token]!, offsets[token + 1]!));
      throw grammarError(`token ${token} (${JSON.stringify(text)}) is not allowed at byte ${this.bytesAccepted} of the output`);
    }
    this.bytesAccepted += this.vocab.offsets[token + 1]! - this.vocab.offsets[token]!;
    this.state = next;
    if (this.automaton.stateCount > this.limits.maxStates || this.automaton.stackNodeCount > this.limits.maxStackNodes) {
      this.state = this.automaton.compact(this.state);
      this.masks.clear();
    }
  }

  mask(logits: Float32Array): void {
    const n = Math.min(logits.length, this.vocab.size);
    if (this.finished) {
      logits.fill(-Infinity);
      return;
    }
    logits.fill(-Infinity, n);
    const runs = this.allowedRuns();
    const order = this.vocab.trie.order;
    const ends = this.vocab.endTokens;
    const complete = this.complete;
    const endLogits = this.endLogits;
    // end tokens have no bytes, so no run holds them: they are cleared below and put back when complete
    for (let e = 0; e < ends.length; e++) endLogits[e] = logits[ends[e]!]!;
    let allowed = 0;
    for (let r = 0; r < runs.length; r += 2) allowed += runs[r + 1]! - runs[r]!;
    if (allowed === 0 && !complete) {
      throw grammarError(`no token of the vocabulary can continue the output at byte ${this.bytesAccepted}`);
    }
    if (allowed * 2 < n) {
      // few allowed: keep their logits, clear everything, put them back
      if (this.kept.length < allowed) this.kept = new Float32Array(allowed);
      const kept = this.kept;
      let k = 0;
      for (let r = 0; r < runs.length; r += 2) for (let p = runs[r]!; p < runs[r + 1]!; p++) kept[k++] = logits[order[p]!]!;
      logits.fill(-Infinity, 0, n);
      k = 0;
      for (let r = 0; r < runs.length; r += 2) for (let p = runs[r]!; p < runs[r + 1]!; p++) logits[order[p]!] = kept[k++]!;
    } else {
      // many allowed: clear the gaps between runs
      let p = 0;
      for (let r = 0; r <= runs.length; r += 2) {
        const stop = r < runs.length ? runs[r]! : order.length;
        for (; p < stop; p++) logits[order[p]!] = -Infinity;
        if (r < runs.length) p = runs[r + 1]!;
      }
    }
    if (complete) for (let e = 0; e < ends.length; e++) logits[ends[e]!] = endLogits[e]!;
  }

  /** The state after `token`'s bytes, or DEAD. Tokens without bytes (control tokens) are never allowed. */
  private advance(token: number): number {
    const { data, offsets } = this.vocab;
    const a = this.automaton;
    const end = offsets[token + 1]!;
    let s = offsets[token] === end ? DEAD : this.state;
    for (let i = offsets[token]!; i < end && s !== DEAD; i++) s = a.step(s, data[i]!);
    return s;
  }

  private allowedRuns(): Int32Array<ArrayBuffer> {
    let runs = this.masks.get(this.state);
    if (runs === undefined) {
      if (this.masks.size >= MAX_CACHED_MASKS) this.masks.clear();
      runs = this.walk(this.state);
      this.masks.set(this.state, runs);
    }
    return runs;
  }

  /**
   * Walks the prefix tree in preorder from `state`: a node whose byte kills every stack is skipped together
   * with its subtree; a node under which all tokens are plain string text, reached in a state that takes any
   * text of that length, is taken whole. Returns the allowed tokens as [start, end) runs of the trie's token order.
   */
  private walk(state: number): Int32Array<ArrayBuffer> {
    const { label, depth, skip, tokStart, textChars, nodeCount } = this.vocab.trie;
    const a = this.automaton;
    const states = this.depthStates;
    let table = a.table;
    let runs = this.runs;
    let nRuns = 0;
    let runStart = -1;
    states[0] = state;
    let i = 1;
    while (i < nodeCount) {
      const from = states[depth[i]! - 1]!;
      const chars = textChars[i]!;
      if (chars > 0 && a.textRun(from) >= chars) {
        table = a.table;
        if (runStart < 0) runStart = tokStart[i]!;
        i = skip[i]!;
        continue;
      }
      let s = table[from * 256 + label[i]!]!;
      if (s < 0) {
        s = a.computeStep(from, label[i]!);
        table = a.table;
      }
      if (s === DEAD) {
        if (runStart >= 0) {
          if (nRuns + 2 > runs.length) runs = this.growRuns();
          runs[nRuns++] = runStart;
          runs[nRuns++] = tokStart[i]!;
          runStart = -1;
        }
        i = skip[i]!;
        continue;
      }
      states[depth[i]!] = s;
      if (runStart < 0 && tokStart[i]! < tokStart[i + 1]!) runStart = tokStart[i]!;
      i++;
    }
    if (runStart >= 0) {
      if (nRuns + 2 > runs.length) runs = this.growRuns();
      runs[nRuns++] = runStart;
      runs[nRuns++] = tokStart[nodeCount]!;
    }
    return runs.slice(0, nRuns);
  }

  private growRuns(): Int32Array<ArrayBuffer> {
    const bigger = new Int32Array(this.runs.length * 2);
    bigger.set(this.runs);
    this.runs = bigger;
    return bigger;
  }
}
