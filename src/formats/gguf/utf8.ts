/** Longest string the fast decoder handles; longer ones go to TextDecoder, whose call cost no longer dominates. */
export const SHORT_UTF8_BYTES = 128;

const units = new Uint16Array(SHORT_UTF8_BYTES);

/**
 * Strict UTF-8 decoding of a short byte run (a vocab piece or key), or undefined when the bytes are
 * not well-formed UTF-8 (overlong forms, surrogates and code points past U+10FFFF included, per the
 * Unicode Standard, table 3-7). A vocab has ~262k such strings, and a TextDecoder call per string
 * costs several times this loop.
 */
export function decodeShortUtf8(b: Uint8Array, start: number, end: number): string | undefined {
  let k = 0;
  let i = start;
  while (i < end) {
    const c = b[i]!;
    if (c < 0x80) {
      units[k++] = c;
      i++;
      continue;
    }
    let cp: number;
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      cp = c & 0x1f;
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      cp = c & 0x0f;
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      cp = c & 0x07;
      need = 3;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    } else {
      return undefined;
    }
    if (i + need >= end) return undefined;
    for (let j = 1; j <= need; j++) {
      const d = b[i + j]!;
      if (d < lo || d > hi) return undefined;
      lo = 0x80;
      hi = 0xbf;
      cp = (cp << 6) | (d & 0x3f);
    }
    i += need + 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[k++] = 0xd800 | (cp >> 10);
      units[k++] = 0xdc00 | (cp & 0x3ff);
    } else {
      units[k++] = cp;
    }
  }
  return String.fromCharCode.apply(null, units.subarray(0, k) as unknown as number[]);
}
