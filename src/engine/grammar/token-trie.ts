/**
 * A prefix tree over the tokens' byte strings, laid out in preorder so that a walk needs no recursion:
 * node i's subtree is nodes i .. skip[i]-1, and a dead node is passed over in one step. Tokens are listed in
 * byte order (`order`), which is also the preorder of the nodes they end at, so the tokens ending at node i
 * are order[tokStart[i] .. tokStart[i+1]) and the tokens of a whole subtree form one run of `order`.
 */
export interface TokenTrie {
  readonly nodeCount: number;
  /** Byte on the edge into the node (unused for the root, node 0). */
  readonly label: Uint8Array;
  readonly depth: Uint16Array;
  readonly skip: Uint32Array;
  /** nodeCount + 1 entries. */
  readonly tokStart: Uint32Array;
  /** Token ids sorted by their bytes. */
  readonly order: Int32Array;
  /** The longest token, in bytes. */
  readonly maxDepth: number;
  /**
   * textChars[i] > 0 when, for every token below node i, the bytes from node i's own byte on are whole UTF-8
   * characters that may stand unescaped in a JSON string (U+0020 and up, except `"` and `\`): the most such
   * characters any of those tokens has. From a state where that many text characters in a row are allowed,
   * whichever they are (GrammarAutomaton.textRun), the whole subtree is allowed.
   */
  readonly textChars: Uint8Array;
}

/** The offset just past the last byte of `bytes` that is not part of a complete unescaped JSON string character. */
function endOfLastNonText(bytes: Uint8Array): number {
  let bad = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      if (b < 0x20 || b === 0x22 || b === 0x5c) bad = i + 1;
      i++;
      continue;
    }
    const n = utf8CharLength(bytes, i);
    if (n === 0) {
      bad = i + 1;
      i++;
    } else i += n;
  }
  return bad;
}

function isCharStart(byte: number): boolean {
  return (byte & 0xc0) !== 0x80;
}

function countChars(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (isCharStart(b)) n++;
  return n;
}

/** Length of the well-formed UTF-8 character at bytes[i] (Unicode Table 3-7), or 0 if there is none. */
function utf8CharLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  let n: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b >= 0xc2 && b <= 0xdf) n = 2;
  else if (b >= 0xe0 && b <= 0xef) {
    n = 3;
    if (b === 0xe0) lo = 0xa0;
    if (b === 0xed) hi = 0x9f;
  } else if (b >= 0xf0 && b <= 0xf4) {
    n = 4;
    if (b === 0xf0) lo = 0x90;
    if (b === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + n > bytes.length) return 0;
  const second = bytes[i + 1]!;
  if (second < lo || second > hi) return 0;
  for (let k = 2; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  return n;
}

function compareTokens(data: Uint8Array, offsets: Uint32Array, a: number, b: number): number {
  const a0 = offsets[a]!;
  const b0 = offsets[b]!;
  const la = offsets[a + 1]! - a0;
  const lb = offsets[b + 1]! - b0;
  const n = la < lb ? la : lb;
  for (let i = 0; i < n; i++) {
    const d = data[a0 + i]! - data[b0 + i]!;
    if (d !== 0) return d;
  }
  return la - lb || a - b;
}

/**
 * Sorts order[lo..hi) (tokens sharing their first `depth` bytes) by their bytes, most significant byte first;
 * ties keep their order. Small ranges fall back to insertion sort.
 */
function radixSort(
  data: Uint8Array,
  offsets: Uint32Array,
  order: Int32Array,
  tmp: Int32Array,
  lo: number,
  hi: number,
  depth: number,
): void {
  if (hi - lo < 48) {
    for (let i = lo + 1; i < hi; i++) {
      const t = order[i]!;
      let j = i - 1;
      while (j >= lo && compareTokens(data, offsets, order[j]!, t) > 0) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = t;
    }
    return;
  }
  // bucket 0: tokens that end here; bucket b + 1: next byte b
  const starts = new Int32Array(258);
  for (let i = lo; i < hi; i++) {
    const t = order[i]!;
    const at = offsets[t]! + depth;
    starts[(at < offsets[t + 1]! ? data[at]! + 1 : 0) + 1]!++;
  }
  for (let b = 1; b < 258; b++) starts[b]! += starts[b - 1]!;
  const next = starts.slice(0, 257);
  for (let i = lo; i < hi; i++) {
    const t = order[i]!;
    const at = offsets[t]! + depth;
    tmp[lo + next[at < offsets[t + 1]! ? data[at]! + 1 : 0]!++] = t;
  }
  order.set(tmp.subarray(lo, hi), lo);
  for (let b = 1; b < 257; b++) {
    if (starts[b + 1]! - starts[b]! > 1) radixSort(data, offsets, order, tmp, lo + starts[b]!, lo + starts[b + 1]!, depth + 1);
  }
}

export function buildTokenTrie(data: Uint8Array, offsets: Uint32Array): TokenTrie {
  const size = offsets.length - 1;
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  radixSort(data, offsets, order, new Int32Array(size), 0, size, 0);

  // every byte of every token is at most one node
  const cap = data.length + 1;
  const label = new Uint8Array(cap);
  const depth = new Uint16Array(cap);
  const skip = new Uint32Array(cap);
  const ends = new Uint32Array(cap);
  const parent = new Uint32Array(cap);
  const lastNonText = new Uint16Array(cap);
  const maxChars = new Uint8Array(cap);
  let maxDepth = 0;
  for (let i = 0; i < size; i++) maxDepth = Math.max(maxDepth, offsets[i + 1]! - offsets[i]!);
  const path = new Uint32Array(maxDepth + 1);
  let n = 1;
  let pathLen = 0; // nodes on the path below the root
  let prev = -1;
  for (let k = 0; k < size; k++) {
    const t = order[k]!;
    const t0 = offsets[t]!;
    const len = offsets[t + 1]! - t0;
    let lcp = 0;
    if (prev >= 0) {
      const p0 = offsets[prev]!;
      const plen = offsets[prev + 1]! - p0;
      const m = Math.min(len, plen, pathLen);
      while (lcp < m && data[p0 + lcp] === data[t0 + lcp]) lcp++;
    }
    while (pathLen > lcp) skip[path[pathLen--]!] = n;
    for (let d = lcp; d < len; d++) {
      label[n] = data[t0 + d]!;
      depth[n] = d + 1;
      parent[n] = path[pathLen]!;
      path[++pathLen] = n++;
    }
    const end = len === 0 ? 0 : path[len]!;
    ends[end] = ends[end]! + 1;
    lastNonText[end] = Math.max(lastNonText[end]!, endOfLastNonText(data.subarray(t0, t0 + len)));
    maxChars[end] = Math.max(maxChars[end]!, Math.min(255, countChars(data.subarray(t0, t0 + len))));
    prev = t;
  }
  while (pathLen > 0) skip[path[pathLen--]!] = n;
  skip[0] = n;
  // children come after their parent in preorder, so one backward pass carries each subtree's maximum up
  for (let i = n - 1; i > 0; i--) {
    const p = parent[i]!;
    lastNonText[p] = Math.max(lastNonText[p]!, lastNonText[i]!);
    maxChars[p] = Math.max(maxChars[p]!, maxChars[i]!);
  }
  // characters on the path above a node (its own byte excluded), and from there the count below it
  const charsAbove = new Uint8Array(n);
  const textChars = new Uint8Array(n);
  for (let i = 1; i < n; i++) {
    const p = parent[i]!;
    charsAbove[i] = p === 0 ? 0 : charsAbove[p]! + (isCharStart(label[p]!) ? 1 : 0);
    if (isCharStart(label[i]!) && lastNonText[i]! <= depth[i]! - 1) textChars[i] = maxChars[i]! - charsAbove[i]!;
  }
  const tokStart = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) tokStart[i + 1] = tokStart[i]! + ends[i]!;
  return {
    nodeCount: n,
    label: label.slice(0, n),
    depth: depth.slice(0, n),
    skip: skip.slice(0, n),
    tokStart,
    order,
    maxDepth,
    textChars,
  };
}
