/*
 * The two dot-product passes of attention, twins of src/kernels/ref/attention.ts (which computes in
 * JavaScript doubles): the softmax between them stays in TypeScript, where Math.exp is the reference's.
 *
 *  - attn_scores: score = f32(Σ_d q[d]·k[d]), the products exact in f64 (f32·f32 fits a double) and
 *    summed over d in order in f64, as the reference's `dot += q·k` loop. The order is kept by giving
 *    each f64x2 lane its own dot product (two keys per vector), never two parts of one sum.
 *  - attn_values: out[d] = f32(out[d] + w·v[d]) for each key in order, w·v exact in f64 and the sum
 *    rounded to f64 then to f32, as the reference's `heap[o] += w · heap[v]` on a Float32Array.
 */

/** Two f32 values (at p0, p1) as f64 lanes. */
@inline function pair(p0: usize, p1: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_lane(p1, v128.load32_zero(p0), 1));
}

/** Stores the f32 rounding of lane `lane` of the f64x2 `s` at p (when `keep`). */
@inline function storeScore(s: v128, lane: i32, p: usize, keep: bool): void {
  if (keep) store<f32>(p, <f32>(lane == 0 ? f64x2.extract_lane(s, 0) : f64x2.extract_lane(s, 1)));
}

/**
 * scores[i·scoreStride + j] = f32(q_i · k_j) for queries i < nq (rows of `hd` f64 at q, hd·8 bytes
 * apart) and keys j < nKeys (rows of `hd` f32, kStride bytes apart from k). Tiles of 4 queries × 4 keys;
 * a partial tile repeats its last query or key and does not store it.
 */
export function attn_scores(q: usize, nq: i32, hd: i32, k: usize, kStride: usize, nKeys: i32, scores: usize, scoreStride: i32): void {
  const qRow = <usize>hd << 3;
  const sRow = <usize>scoreStride << 2;
  if (nq == 1) {
    scoresOneQuery(q, hd, k, kStride, nKeys, scores);
    return;
  }
  for (let i = 0; i < nq; i += 4) {
    const q0 = q + <usize>i * qRow;
    const q1 = i + 1 < nq ? q0 + qRow : q0;
    const q2 = i + 2 < nq ? q1 + qRow : q1;
    const q3 = i + 3 < nq ? q2 + qRow : q2;
    const s0 = scores + <usize>i * sRow;
    for (let j = 0; j < nKeys; j += 4) {
      const k0 = k + <usize>j * kStride;
      const k1 = j + 1 < nKeys ? k0 + kStride : k0;
      const k2 = j + 2 < nKeys ? k1 + kStride : k1;
      const k3 = j + 3 < nKeys ? k2 + kStride : k2;
      const zero = f64x2.splat(0);
      let a0 = zero, b0 = zero, a1 = zero, b1 = zero, a2 = zero, b2 = zero, a3 = zero, b3 = zero;
      for (let d: usize = 0, end = <usize>hd << 2; d < end; d += 4) {
        const ka = pair(k0 + d, k1 + d);
        const kb = pair(k2 + d, k3 + d);
        let x = v128.load64_splat(q0 + (d << 1));
        a0 = f64x2.add(a0, f64x2.mul(x, ka)); b0 = f64x2.add(b0, f64x2.mul(x, kb));
        x = v128.load64_splat(q1 + (d << 1));
        a1 = f64x2.add(a1, f64x2.mul(x, ka)); b1 = f64x2.add(b1, f64x2.mul(x, kb));
        x = v128.load64_splat(q2 + (d << 1));
        a2 = f64x2.add(a2, f64x2.mul(x, ka)); b2 = f64x2.add(b2, f64x2.mul(x, kb));
        x = v128.load64_splat(q3 + (d << 1));
        a3 = f64x2.add(a3, f64x2.mul(x, ka)); b3 = f64x2.add(b3, f64x2.mul(x, kb));
      }
      const col = <usize>j << 2;
      const k1ok = j + 1 < nKeys, k2ok = j + 2 < nKeys, k3ok = j + 3 < nKeys;
      let row = s0 + col;
      storeScore(a0, 0, row, true); storeScore(a0, 1, row + 4, k1ok); storeScore(b0, 0, row + 8, k2ok); storeScore(b0, 1, row + 12, k3ok);
      if (i + 1 < nq) {
        row += sRow;
        storeScore(a1, 0, row, true); storeScore(a1, 1, row + 4, k1ok); storeScore(b1, 0, row + 8, k2ok); storeScore(b1, 1, row + 12, k3ok);
      }
      if (i + 2 < nq) {
        row += sRow;
        storeScore(a2, 0, row, true); storeScore(a2, 1, row + 4, k1ok); storeScore(b2, 0, row + 8, k2ok); storeScore(b2, 1, row + 12, k3ok);
      }
      if (i + 3 < nq) {
        row += sRow;
        storeScore(a3, 0, row, true); storeScore(a3, 1, row + 4, k1ok); storeScore(b3, 0, row + 8, k2ok); storeScore(b3, 1, row + 12, k3ok);
      }
    }
  }
}

/** attn_scores for one query (decode with one head per call): eight keys at a time, two per f64x2. */
function scoresOneQuery(q: usize, hd: i32, k: usize, kStride: usize, nKeys: i32, scores: usize): void {
  for (let j = 0; j < nKeys; j += 8) {
    const k0 = k + <usize>j * kStride;
    const k1 = j + 1 < nKeys ? k0 + kStride : k0;
    const k2 = j + 2 < nKeys ? k1 + kStride : k1;
    const k3 = j + 3 < nKeys ? k2 + kStride : k2;
    const k4 = j + 4 < nKeys ? k3 + kStride : k3;
    const k5 = j + 5 < nKeys ? k4 + kStride : k4;
    const k6 = j + 6 < nKeys ? k5 + kStride : k5;
    const k7 = j + 7 < nKeys ? k6 + kStride : k6;
    const zero = f64x2.splat(0);
    let a = zero, b = zero, c = zero, e = zero;
    for (let d: usize = 0, end = <usize>hd << 2; d < end; d += 4) {
      const x = v128.load64_splat(q + (d << 1));
      a = f64x2.add(a, f64x2.mul(x, pair(k0 + d, k1 + d)));
      b = f64x2.add(b, f64x2.mul(x, pair(k2 + d, k3 + d)));
      c = f64x2.add(c, f64x2.mul(x, pair(k4 + d, k5 + d)));
      e = f64x2.add(e, f64x2.mul(x, pair(k6 + d, k7 + d)));
    }
    const row = scores + (<usize>j << 2);
    storeScore(a, 0, row, true); storeScore(a, 1, row + 4, j + 1 < nKeys);
    storeScore(b, 0, row + 8, j + 2 < nKeys); storeScore(b, 1, row + 12, j + 3 < nKeys);
    storeScore(c, 0, row + 16, j + 4 < nKeys); storeScore(c, 1, row + 20, j + 5 < nKeys);
    storeScore(e, 0, row + 24, j + 6 < nKeys); storeScore(e, 1, row + 28, j + 7 < nKeys);
  }
}

/** The two f32 at p as f64 lanes. */
@inline function load2(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** f32 rounding of the f64 lanes of lo and hi, as 4 f32 lanes. */
@inline function narrow(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * out[d] = f32(out[d] + w_j·v_j[d]) for keys j < nKeys in order, d < hd (a multiple of 4), with the
 * weights w_j (f32) at `w` and the value rows (f32) vStride bytes apart from `v`. `out` holds hd f32.
 * Four consecutive keys are applied to 4 outputs while they stay in registers (each step still rounds
 * to f32, so the order of operations per output is the reference's).
 */
export function attn_values(w: usize, nKeys: i32, v: usize, vStride: usize, out: usize, hd: i32): void {
  const end = <usize>hd << 2;
  let j = 0;
  for (; j + 4 <= nKeys; j += 4) {
    const wp = w + (<usize>j << 2);
    const w0 = weight(wp), w1 = weight(wp + 4), w2 = weight(wp + 8), w3 = weight(wp + 12);
    const v0 = v + <usize>j * vStride, v1 = v0 + vStride, v2 = v1 + vStride, v3 = v2 + vStride;
    for (let d: usize = 0; d < end; d += 16) {
      let lo = load2(out + d), hi = load2(out + d + 8);
      lo = round64(f64x2.add(lo, f64x2.mul(w0, load2(v0 + d)))); hi = round64(f64x2.add(hi, f64x2.mul(w0, load2(v0 + d + 8))));
      lo = round64(f64x2.add(lo, f64x2.mul(w1, load2(v1 + d)))); hi = round64(f64x2.add(hi, f64x2.mul(w1, load2(v1 + d + 8))));
      lo = round64(f64x2.add(lo, f64x2.mul(w2, load2(v2 + d)))); hi = round64(f64x2.add(hi, f64x2.mul(w2, load2(v2 + d + 8))));
      lo = f64x2.add(lo, f64x2.mul(w3, load2(v3 + d))); hi = f64x2.add(hi, f64x2.mul(w3, load2(v3 + d + 8)));
      v128.store(out + d, narrow(lo, hi));
    }
  }
  for (; j < nKeys; j++) {
    const wj = weight(w + (<usize>j << 2));
    const vj = v + <usize>j * vStride;
    for (let d: usize = 0; d < end; d += 16) {
      const lo = f64x2.add(load2(out + d), f64x2.mul(wj, load2(vj + d)));
      const hi = f64x2.add(load2(out + d + 8), f64x2.mul(wj, load2(vj + d + 8)));
      v128.store(out + d, narrow(lo, hi));
    }
  }
}

/** The f32 at p as two f64 lanes. */
@inline function weight(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_splat(p));
}

/** f64 lanes rounded to f32 and back (the reference stores each step in a Float32Array). */
@inline function round64(x: v128): v128 {
  return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x));
}

/** n f32 at x as f64 at out (the queries of attn_scores). */
export function widen_f64(x: usize, n: i32, out: usize): void {
  for (let i: usize = 0, end = <usize>n << 2; i < end; i += 4) store<f64>(out + (i << 1), <f64>load<f32>(x + i));
}
