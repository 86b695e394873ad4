/**
 * Ordering of candidate token ids by a score, in place and without allocating (the sampler runs these once per
 * token). "Before" means a higher score, and on equal scores the lower id, so every order is deterministic and the
 * first of several equal maxima wins, as llama.cpp's greedy sampler picks it.
 */

function before(v: ArrayLike<number>, a: number, b: number): boolean {
  const x = v[a]!;
  const y = v[b]!;
  return x > y || (x === y && a < b);
}

/** Above this k, topIndices switches from insertion into a sorted prefix (O(n·k) worst case) to a heap. */
const INSERTION_MAX_K = 64;

/** Writes the indices of the k largest of v[0..n), best first, into out; returns min(k, n). */
export function topIndices(v: ArrayLike<number>, n: number, k: number, out: Int32Array): number {
  k = Math.min(k, n);
  if (k <= 0) return 0;
  if (k <= INSERTION_MAX_K) {
    // typical case (top-k 40): after the prefix fills, most values fail the first comparison
    let len = 0;
    for (let i = 0; i < n; i++) {
      if (len === k && !before(v, i, out[k - 1]!)) continue;
      let j = len < k ? len++ : k - 1;
      while (j > 0 && before(v, i, out[j - 1]!)) {
        out[j] = out[j - 1]!;
        j--;
      }
      out[j] = i;
    }
    return k;
  }
  // a heap of the k best so far with the worst at the root, then sorted in place
  for (let i = 0; i < k; i++) out[i] = i;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftWorstUp(v, out, i, k);
  for (let i = k; i < n; i++) {
    if (before(v, i, out[0]!)) {
      out[0] = i;
      siftWorstUp(v, out, 0, k);
    }
  }
  heapToSorted(v, out, k);
  return k;
}

/** Sorts ids[0..count) best first by score[id] (a heap sort). */
export function sortIds(ids: Int32Array, count: number, score: ArrayLike<number>): void {
  for (let i = (count >> 1) - 1; i >= 0; i--) siftWorstUp(score, ids, i, count);
  heapToSorted(score, ids, count);
}

/** Heap entries are ids into v; the worst entry sits at the root. */
function siftWorstUp(v: ArrayLike<number>, h: Int32Array, i: number, size: number): void {
  const x = h[i]!;
  for (;;) {
    let c = 2 * i + 1;
    if (c >= size) break;
    if (c + 1 < size && before(v, h[c]!, h[c + 1]!)) c++;
    if (!before(v, x, h[c]!)) break;
    h[i] = h[c]!;
    i = c;
  }
  h[i] = x;
}

function heapToSorted(v: ArrayLike<number>, h: Int32Array, size: number): void {
  for (let end = size - 1; end > 0; end--) {
    const worst = h[0]!;
    h[0] = h[end]!;
    h[end] = worst;
    siftWorstUp(v, h, 0, end);
  }
}
