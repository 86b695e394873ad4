/**
 * Sets of Unicode scalar values as sorted, disjoint, non-adjacent inclusive ranges [lo0, hi0, lo1, hi1, ...].
 * Surrogates (U+D800..U+DFFF) are never members: they cannot be encoded in UTF-8, and JSON strings written by
 * this module never escape them alone.
 */
export type CodepointSet = readonly number[];

export const MAX_CODEPOINT = 0x10ffff;
const SURROGATES: CodepointSet = [0xd800, 0xdfff];

function normalize(pairs: [number, number][]): number[] {
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    if (lo > hi) continue;
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

function pairsOf(s: CodepointSet): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < s.length; i += 2) out.push([s[i]!, s[i + 1]!]);
  return out;
}

export function rangeSet(...bounds: number[]): CodepointSet {
  return subtract(normalize(pairsOf(bounds)), SURROGATES);
}

export function charSet(text: string): CodepointSet {
  return union(...Array.from(text, (c) => rangeSet(c.codePointAt(0)!, c.codePointAt(0)!)));
}

export function union(...sets: CodepointSet[]): CodepointSet {
  return normalize(sets.flatMap(pairsOf));
}

export function complement(s: CodepointSet): CodepointSet {
  return subtract(complementRaw(s), SURROGATES);
}

export function intersect(a: CodepointSet, b: CodepointSet): CodepointSet {
  const out: [number, number][] = [];
  for (let i = 0; i < a.length; i += 2) {
    for (let j = 0; j < b.length; j += 2) out.push([Math.max(a[i]!, b[j]!), Math.min(a[i + 1]!, b[j + 1]!)]);
  }
  return normalize(out);
}

export function subtract(a: CodepointSet, b: CodepointSet): CodepointSet {
  return intersect(a, complementRaw(b));
}

function complementRaw(s: CodepointSet): CodepointSet {
  const out: [number, number][] = [];
  let next = 0;
  for (let i = 0; i < s.length; i += 2) {
    out.push([next, s[i]! - 1]);
    next = s[i + 1]! + 1;
  }
  out.push([next, MAX_CODEPOINT]);
  return normalize(out);
}

export function isEmpty(s: CodepointSet): boolean {
  return s.length === 0;
}

export function sameSet(a: CodepointSet, b: CodepointSet): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Every scalar value. */
export const ANY_CHAR: CodepointSet = rangeSet(0, MAX_CODEPOINT);
