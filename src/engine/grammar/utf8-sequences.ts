import type { CodepointSet } from "./codepoint-set.js";

/** One UTF-8 byte range per byte of the encoding: [lo0, hi0, lo1, hi1, ...]. */
export type ByteRangeSequence = readonly number[];

const LENGTH_LIMITS = [0x7f, 0x7ff, 0xffff, 0x10ffff];

function encode(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/**
 * Splits a code point range into ranges whose UTF-8 encodings differ only in a suffix of whole continuation
 * bytes, so each is one sequence of byte ranges (the construction RE2 and Rust's regex-syntax use).
 */
function splitRange(lo: number, hi: number, out: ByteRangeSequence[]): void {
  for (const limit of LENGTH_LIMITS) {
    if (lo <= limit && hi > limit) {
      splitRange(lo, limit, out);
      splitRange(limit + 1, hi, out);
      return;
    }
  }
  const n = encode(lo).length;
  for (let i = 1; i < n; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((lo & ~m) !== (hi & ~m)) {
      if ((lo & m) !== 0) {
        splitRange(lo, lo | m, out);
        splitRange((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) !== m) {
        splitRange(lo, (hi & ~m) - 1, out);
        splitRange(hi & ~m, hi, out);
        return;
      }
    }
  }
  const a = encode(lo);
  const b = encode(hi);
  const seq: number[] = [];
  for (let i = 0; i < n; i++) seq.push(a[i]!, b[i]!);
  out.push(seq);
}

/** The UTF-8 encodings of a code point set as byte-range sequences. */
export function utf8Sequences(set: CodepointSet): ByteRangeSequence[] {
  const out: ByteRangeSequence[] = [];
  for (let i = 0; i < set.length; i += 2) splitRange(set[i]!, set[i + 1]!, out);
  return out;
}
