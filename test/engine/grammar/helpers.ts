import { DEAD, GrammarAutomaton } from "../../../src/engine/grammar/automaton.js";
import type { CompiledGrammar } from "../../../src/engine/grammar/grammar.js";
import type { TokenConstraint, VocabBytes } from "../../../src/engine/grammar/index.js";
import { rng } from "../../helpers/rng.js";

/** Tokenizes text by greedy longest match over the vocabulary's byte strings (not Gemma's real tokenizer). */
export class GreedyTokenizer {
  private readonly byBytes = new Map<string, number>();
  private readonly maxLen: number;
  readonly vocab: VocabBytes;

  constructor(vocab: VocabBytes) {
    this.vocab = vocab;
    let maxLen = 0;
    for (let t = 0; t < vocab.size; t++) {
      const bytes = this.bytesOf(t);
      if (bytes.length === 0) continue;
      const key = Buffer.from(bytes).toString("latin1");
      if (!this.byBytes.has(key)) this.byBytes.set(key, t);
      maxLen = Math.max(maxLen, bytes.length);
    }
    this.maxLen = maxLen;
  }

  bytesOf(token: number): Uint8Array {
    return this.vocab.data.subarray(this.vocab.offsets[token]!, this.vocab.offsets[token + 1]!);
  }

  /** A token whose bytes are exactly `bytes`. */
  tokenFor(bytes: Uint8Array): number {
    const t = this.byBytes.get(Buffer.from(bytes).toString("latin1"));
    if (t === undefined) throw new Error(`no token for ${Buffer.from(bytes).toString("hex")}`);
    return t;
  }

  encode(text: string | Uint8Array): number[] {
    const s = Buffer.from(typeof text === "string" ? new TextEncoder().encode(text) : text).toString("latin1");
    const out: number[] = [];
    let i = 0;
    while (i < s.length) {
      let len = Math.min(this.maxLen, s.length - i);
      while (!this.byBytes.has(s.slice(i, i + len))) len--;
      out.push(this.byBytes.get(s.slice(i, i + len))!);
      i += len;
    }
    return out;
  }
}

export { rng };

const CLOSERS = new Set(Array.from('"}],', (c) => c.charCodeAt(0)));
const QUOTE = 0x22;

/**
 * Draws tokens at random among those the constraint allows until it picks an end token, and returns the
 * bytes produced (null if `maxSteps` ran out first). Once the document is complete an end token is taken half
 * of the time. Otherwise a step draws, at random, one of three ways: uniformly among all allowed tokens (by
 * rejection from the whole vocabulary, falling back to the mask); uniformly among allowed tokens that start
 * with `"`, `}`, `]` or `,` (with `"` favoured); or uniformly among the first bytes of allowed tokens, then
 * among the allowed tokens with that first byte. The last two make documents finish in a reasonable number of
 * steps; the share of the second grows as the steps run out, to close open structures.
 */
export function randomDocument(
  c: TokenConstraint,
  vocab: VocabBytes,
  next: () => number,
  maxSteps: number,
  scratch: Float32Array,
): Uint8Array | null {
  const { data, offsets, endTokens } = vocab;
  // first byte of each token that may be drawn; -1 for end tokens and tokens without bytes
  const first = new Int16Array(vocab.size);
  for (let t = 0; t < vocab.size; t++) first[t] = offsets[t] === offsets[t + 1] ? -1 : data[offsets[t]!]!;
  const isEnd = (t: number) => endTokens.includes(t);
  const out: number[] = [];
  const finish = () => {
    const end = endTokens[Math.floor(next() * endTokens.length)]!;
    if (!c.allows(end)) throw new Error("complete, but the end token is not allowed");
    c.accept(end);
    return Uint8Array.from(out);
  };
  const perByte = new Int32Array(256);
  for (let step = 0; step < maxSteps; step++) {
    if (c.complete && next() < 0.5) return finish();
    let token = -1;
    const late = step / maxSteps;
    const draw = next();
    const mode = draw < 0.4 * (1 - late) ? "uniform" : draw < 0.7 + 0.3 * late ? "closer" : "first byte";
    if (mode === "uniform") {
      for (let tries = 0; tries < 20 && token < 0; tries++) {
        const t = Math.floor(next() * vocab.size);
        if (!isEnd(t) && c.allows(t)) token = t;
      }
    }
    if (token < 0) {
      scratch.fill(0);
      c.mask(scratch);
      perByte.fill(0);
      for (let t = 0; t < vocab.size; t++) if (scratch[t] === 0 && first[t]! >= 0) perByte[first[t]!]!++;
      const bytes = [...perByte.keys()].filter((b) => perByte[b]! > 0);
      if (bytes.length === 0) {
        if (c.complete) return finish();
        throw new Error(`no token allowed after ${JSON.stringify(Buffer.from(out).toString())}`);
      }
      // a quote closes the innermost string, where the other closers are plain text: favour it
      const closers = bytes.includes(QUOTE) && next() < 0.5 ? [QUOTE] : bytes.filter((b) => CLOSERS.has(b));
      let pool = bytes;
      if (mode === "closer" && closers.length > 0) pool = closers;
      else if (mode === "first byte") pool = [bytes[Math.floor(next() * bytes.length)]!];
      const inPool = new Uint8Array(256);
      for (const b of pool) inPool[b] = 1;
      let k = Math.floor(next() * pool.reduce((n, b) => n + perByte[b]!, 0));
      for (let t = 0; t < vocab.size && token < 0; t++) {
        if (scratch[t] === 0 && first[t]! >= 0 && inPool[first[t]!] && k-- === 0) token = t;
      }
    }
    c.accept(token);
    for (let i = offsets[token]!; i < offsets[token + 1]!; i++) out.push(data[i]!);
  }
  return null;
}

/** Runs a compiled grammar's automaton over `text`: whether it ends complete (false if a byte is refused). */
export function grammarMatches(g: CompiledGrammar, text: string | Uint8Array): boolean {
  const a = new GrammarAutomaton(g);
  let s = a.start();
  for (const b of typeof text === "string" ? new TextEncoder().encode(text) : text) {
    s = a.step(s, b);
    if (s === DEAD) return false;
  }
  return a.isComplete(s);
}
