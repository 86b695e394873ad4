import { hsum4, iq4Levels, loadHalf, loadHalf4, nibbles, storeLanes } from "./simd";

/*
 * Matrix products for the 32-element block types (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL) against
 * Q8_0 / Q8_1 activation blocks. Layouts: ggml-org/llama.cpp:ggml/src/ggml-common.h (block_*).
 *
 * Per block the integer dot is exact (i16 products summed with i32x4.dot_i16x8_s); the f32 scaling and
 * accumulation follow ggml's scalar ggml_vec_dot_*_q8_* (ggml/src/ggml-cpu/quants.c) operation by
 * operation, so each output equals the scalar reference bit for bit. Four dot products run side by side,
 * one per f32 lane: four weight rows against one token (decode), or one weight row against four tokens
 * (prefill, in tiles of eight or four tokens, each weight block decoded once for the tile).
 *
 * A block type is a class of inlined methods, used through a null instance (changetype<D>(0)) so that
 * the generic drivers below are specialized per type at compile time.
 */


/**
 * 0xff in byte j where bit j (j < 16) of the 16-bit field `half` of the 32 high bits `bits` (splatted)
 * is set: bytes 0-7 test the field's low byte, 8-15 its high byte.
 */
@inline function highBits(bits: v128, half: i32): v128 {
  const spread = half == 0
    ? i8x16.swizzle(bits, i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1))
    : i8x16.swizzle(bits, i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
  const select = i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
  return i8x16.eq(v128.and(spread, select), select);
}

/*
 * Block type interface: bytes() per block; group0/group1 decode elements 0-15 / 16-31 to i8 levels and
 * w0..w3 widen elements 0-7, 8-15 (from group 0) and 16-23, 24-31 (from group 1) to i16; actBytes()
 * and actLevels() describe the activation block; combine() adds one block's scaled integer sums to the
 * f32 accumulators. Memory offsets inside a block are literal load offsets (folded into addressing).
 * Types whose levels are a small unsigned field minus a bias (Q4_0: nibble - 8, Q5_0: 5 bits - 16) are
 * biased(): raw0/raw1 give the unsigned fields, for the relaxed-SIMD dot (see relaxedDot).
 */

@final @unmanaged export class Q8_0 {
  @inline bytes(): usize { return 34; }
  @inline biased(): bool { return false; }
  @inline bias(): i32 { return 0; }
  @inline raw0(bp: usize): v128 { return i32x4.splat(0); }
  @inline raw1(bp: usize): v128 { return i32x4.splat(0); }
  @inline actBytes(): usize { return 34; }
  @inline actLevels(): usize { return 2; }
  @inline hasMin(): bool { return false; }
  // Q8_0 levels are already bytes: w0..w3 widen them straight from memory; the groups are unused.
  @inline group0(bp: usize): v128 { return i32x4.splat(0); }
  @inline group1(bp: usize): v128 { return i32x4.splat(0); }
  @inline w0(g: v128, bp: usize): v128 { return v128.load8x8_s(bp, 2); }
  @inline w1(g: v128, bp: usize): v128 { return v128.load8x8_s(bp, 10); }
  @inline w2(g: v128, bp: usize): v128 { return v128.load8x8_s(bp, 18); }
  @inline w3(g: v128, bp: usize): v128 { return v128.load8x8_s(bp, 26); }
  /** sum += isum·(dw·da) */
  @inline combine(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
    return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.mul(dw, da)));
  }
}

/** Widening of decoded groups, shared by the types whose levels need decoding. */
@unmanaged class Decoded {
  @inline w0(g: v128, bp: usize): v128 { return i16x8.extend_low_i8x16_s(g); }
  @inline w1(g: v128, bp: usize): v128 { return i16x8.extend_high_i8x16_s(g); }
  @inline w2(g: v128, bp: usize): v128 { return i16x8.extend_low_i8x16_s(g); }
  @inline w3(g: v128, bp: usize): v128 { return i16x8.extend_high_i8x16_s(g); }
}

@final @unmanaged export class Q4_0 extends Decoded {
  @inline bytes(): usize { return 18; }
  @inline biased(): bool { return true; }
  @inline bias(): i32 { return 8; }
  @inline raw0(bp: usize): v128 { return nibbles(v128.load(bp, 2), false); }
  @inline raw1(bp: usize): v128 { return nibbles(v128.load(bp, 2), true); }
  @inline actBytes(): usize { return 34; }
  @inline actLevels(): usize { return 2; }
  @inline hasMin(): bool { return false; }
  @inline group0(bp: usize): v128 { return i8x16.sub(nibbles(v128.load(bp, 2), false), i8x16.splat(8)); }
  @inline group1(bp: usize): v128 { return i8x16.sub(nibbles(v128.load(bp, 2), true), i8x16.splat(8)); }
  /** sum += (isum·dw)·da */
  @inline combine(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
    return f32x4.add(acc, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(isum), dw), da));
  }
}

// Q5_0 level = (nibble | fifth bit << 4) - 16, i.e. nibble - 16 where the fifth bit is clear.
@inline function q5_0Group(qs: v128, bits: v128, half: i32): v128 {
  return i8x16.add(nibbles(qs, half == 1), v128.andnot(i8x16.splat(-16), highBits(bits, half)));
}

// The Q5_0 level plus 16 (0..31): nibble | fifth bit << 4, as Q5_1's.
@inline function q5Raw(qs: v128, bits: v128, half: i32): v128 {
  return v128.or(nibbles(qs, half == 1), v128.and(highBits(bits, half), i8x16.splat(16)));
}

@final @unmanaged export class Q5_0 extends Decoded {
  @inline bytes(): usize { return 22; }
  @inline biased(): bool { return true; }
  @inline bias(): i32 { return 16; }
  @inline raw0(bp: usize): v128 { return q5Raw(v128.load(bp, 6), v128.load32_splat(bp, 2), 0); }
  @inline raw1(bp: usize): v128 { return q5Raw(v128.load(bp, 6), v128.load32_splat(bp, 2), 1); }
  @inline actBytes(): usize { return 34; }
  @inline actLevels(): usize { return 2; }
  @inline hasMin(): bool { return false; }
  @inline group0(bp: usize): v128 { return q5_0Group(v128.load(bp, 6), v128.load32_splat(bp, 2), 0); }
  @inline group1(bp: usize): v128 { return q5_0Group(v128.load(bp, 6), v128.load32_splat(bp, 2), 1); }
  /** sum += (dw·da)·isum */
  @inline combine(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
    return f32x4.add(acc, f32x4.mul(f32x4.mul(dw, da), f32x4.convert_i32x4_s(isum)));
  }
}

@final @unmanaged export class IQ4_NL extends Decoded {
  @inline biased(): bool { return false; }
  @inline bias(): i32 { return 0; }
  @inline raw0(bp: usize): v128 { return i32x4.splat(0); }
  @inline raw1(bp: usize): v128 { return i32x4.splat(0); }
  @inline bytes(): usize { return 18; }
  @inline actBytes(): usize { return 34; }
  @inline actLevels(): usize { return 2; }
  @inline hasMin(): bool { return false; }
  @inline group0(bp: usize): v128 { return iq4Levels(nibbles(v128.load(bp, 2), false)); }
  @inline group1(bp: usize): v128 { return iq4Levels(nibbles(v128.load(bp, 2), true)); }
  /** sum += (da·dw)·isum */
  @inline combine(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
    return f32x4.add(acc, f32x4.mul(f32x4.mul(da, dw), f32x4.convert_i32x4_s(isum)));
  }
}

/** sum += (dw·da)·isum + mw·sa, with sa = da·Σa stored in the Q8_1 block. */
@inline function combineWithMin(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
  const scaled = f32x4.mul(f32x4.mul(dw, da), f32x4.convert_i32x4_s(isum));
  return f32x4.add(acc, f32x4.add(scaled, f32x4.mul(mw, sa)));
}

@final @unmanaged export class Q4_1 extends Decoded {
  @inline biased(): bool { return false; }
  @inline bias(): i32 { return 0; }
  @inline raw0(bp: usize): v128 { return i32x4.splat(0); }
  @inline raw1(bp: usize): v128 { return i32x4.splat(0); }
  @inline bytes(): usize { return 20; }
  @inline actBytes(): usize { return 36; }
  @inline actLevels(): usize { return 4; }
  @inline hasMin(): bool { return true; }
  @inline group0(bp: usize): v128 { return nibbles(v128.load(bp, 4), false); }
  @inline group1(bp: usize): v128 { return nibbles(v128.load(bp, 4), true); }
  @inline combine(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
    return combineWithMin(acc, isum, dw, da, mw, sa);
  }
}

// Q5_1 level = nibble | fifth bit << 4.
@inline function q5_1Group(qs: v128, bits: v128, half: i32): v128 {
  return v128.or(nibbles(qs, half == 1), v128.and(highBits(bits, half), i8x16.splat(16)));
}

@final @unmanaged export class Q5_1 extends Decoded {
  @inline biased(): bool { return false; }
  @inline bias(): i32 { return 0; }
  @inline raw0(bp: usize): v128 { return i32x4.splat(0); }
  @inline raw1(bp: usize): v128 { return i32x4.splat(0); }
  @inline bytes(): usize { return 24; }
  @inline actBytes(): usize { return 36; }
  @inline actLevels(): usize { return 4; }
  @inline hasMin(): bool { return true; }
  @inline group0(bp: usize): v128 { return q5_1Group(v128.load(bp, 8), v128.load32_splat(bp, 4), 0); }
  @inline group1(bp: usize): v128 { return q5_1Group(v128.load(bp, 8), v128.load32_splat(bp, 4), 1); }
  @inline combine(acc: v128, isum: v128, dw: v128, da: v128, mw: v128, sa: v128): v128 {
    return combineWithMin(acc, isum, dw, da, mw, sa);
  }
}

/** Integer dot of the weight block at `bp` with the activation levels a0..a3 (i16x8, elements 0-31), as i32x4 partial sums. */
@inline function blockDot<D>(bp: usize, a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const d = changetype<D>(0);
  const g0 = d.group0(bp);
  const g1 = d.group1(bp);
  let s = i32x4.dot_i16x8_s(d.w0(g0, bp), a0);
  s = i32x4.add(s, i32x4.dot_i16x8_s(d.w1(g0, bp), a1));
  s = i32x4.add(s, i32x4.dot_i16x8_s(d.w2(g1, bp), a2));
  return i32x4.add(s, i32x4.dot_i16x8_s(d.w3(g1, bp), a3));
}

/**
 * Integer dot of a weight block already widened to i16 (w0..w3: elements 0-7, 8-15, 16-23, 24-31) with the
 * activation block at `ap`, as i32x4 partial sums. Prefill decodes each weight block once for all the tokens of a
 * tile (the engine does not reuse the decoding across calls of blockDot).
 */
@inline function widenedDot<D>(w0: v128, w1: v128, w2: v128, w3: v128, ap: usize): v128 {
  const q = ap + changetype<D>(0).actLevels();
  let s = i32x4.dot_i16x8_s(w0, v128.load8x8_s(q));
  s = i32x4.add(s, i32x4.dot_i16x8_s(w1, v128.load8x8_s(q, 8)));
  s = i32x4.add(s, i32x4.dot_i16x8_s(w2, v128.load8x8_s(q, 16)));
  return i32x4.add(s, i32x4.dot_i16x8_s(w3, v128.load8x8_s(q, 24)));
}

/**
 * acc + one block's contribution for the four tokens whose activation blocks are at a0..a3, with the weight block
 * at bp widened to w0..w3 and its scale (and min) dw, mw.
 */
@inline function tokensBlock<D>(
  acc: v128, w0: v128, w1: v128, w2: v128, w3: v128, dw: v128, mw: v128, bp: usize, a0: usize, a1: usize, a2: usize, a3: usize,
): v128 {
  const d = changetype<D>(0);
  const isum = hsum4(widenedDot<D>(w0, w1, w2, w3, a0), widenedDot<D>(w0, w1, w2, w3, a1), widenedDot<D>(w0, w1, w2, w3, a2), widenedDot<D>(w0, w1, w2, w3, a3));
  const da = loadHalf4(a0, a1, a2, a3);
  const sa = d.hasMin() ? loadHalf4(a0 + 2, a1 + 2, a2 + 2, a3 + 2) : da;
  return d.combine(acc, isum, dw, da, mw, sa);
}

/**
 * The relaxed-SIMD twin of blockDot for biased() types, with the activation block's levels as two i8x16
 * (x0: elements 0-15, x1: 16-31) and their sum times the bias, `biasSum`: Σ (u - bias)·x = Σ u·x - bias·Σ x,
 * the unsigned fields u (< 32) being the 7-bit operand of i32x4.relaxed_dot_i8x16_i7x16_add_s. Every pair
 * sum |x·u + x'·u'| is at most 2·127·31, so no implementation saturates it: the integer result is exact.
 */
@inline function relaxedDot<D>(bp: usize, x0: v128, x1: v128, biasSum: v128): v128 {
  const d = changetype<D>(0);
  const s = i32x4.relaxed_dot_i8x16_i7x16_add_s(x0, d.raw0(bp), i32x4.splat(0));
  return i32x4.sub(i32x4.relaxed_dot_i8x16_i7x16_add_s(x1, d.raw1(bp), s), biasSum);
}

/** bias · Σ of the 32 i8 levels x0, x1, spread over four i32 lanes (their lane sum is what counts). */
@inline function biasSum(x0: v128, x1: v128, bias: i32): v128 {
  const s = i32x4.extadd_pairwise_i16x8_s(i16x8.add(i16x8.extadd_pairwise_i8x16_s(x0), i16x8.extadd_pairwise_i8x16_s(x1)));
  return i32x4.mul(s, i32x4.splat(bias));
}

/**
 * Four weight rows (blocks at b0..b3) against the one activation row at `a` (nb blocks); stores lane i at
 * o_i for i < count. In the relaxed-SIMD build, biased() types take relaxedDot.
 */
@inline function rowsTile<D>(
  b0: usize, b1: usize, b2: usize, b3: usize, a: usize, nb: usize, count: i32, o0: usize, o1: usize, o2: usize, o3: usize,
): void {
  const d = changetype<D>(0);
  let acc = f32x4.splat(0);
  for (let ap = a, end = a + nb * d.actBytes(); ap < end; ap += d.actBytes()) {
    const q = ap + d.actLevels();
    let isum: v128;
    if (ASC_FEATURE_RELAXED_SIMD && d.biased()) {
      const x0 = v128.load(q), x1 = v128.load(q, 16);
      const bs = biasSum(x0, x1, d.bias());
      isum = hsum4(relaxedDot<D>(b0, x0, x1, bs), relaxedDot<D>(b1, x0, x1, bs), relaxedDot<D>(b2, x0, x1, bs), relaxedDot<D>(b3, x0, x1, bs));
    } else {
      const x0 = v128.load8x8_s(q), x1 = v128.load8x8_s(q, 8), x2 = v128.load8x8_s(q, 16), x3 = v128.load8x8_s(q, 24);
      isum = hsum4(blockDot<D>(b0, x0, x1, x2, x3), blockDot<D>(b1, x0, x1, x2, x3), blockDot<D>(b2, x0, x1, x2, x3), blockDot<D>(b3, x0, x1, x2, x3));
    }
    const dw = loadHalf4(b0, b1, b2, b3);
    const da = f32x4.splat(loadHalf(ap));
    let mw = dw, sa = da;
    if (d.hasMin()) {
      mw = loadHalf4(b0 + 2, b1 + 2, b2 + 2, b3 + 2);
      sa = f32x4.splat(loadHalf(ap + 2));
    }
    acc = d.combine(acc, isum, dw, da, mw, sa);
    b0 += d.bytes(); b1 += d.bytes(); b2 += d.bytes(); b3 += d.bytes();
  }
  storeLanes(acc, count, o0, o1, o2, o3);
}

/**
 * out[t·outStride + r] = dot(row r, token t) for r in [rowBegin, rowEnd), t < nTok. Weight rows are
 * contiguous GGUF rows; activation rows are actStride bytes apart; outStride counts floats.
 */
export function matmul32<D>(
  w: usize, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32,
): void {
  const d = changetype<D>(0);
  const nb = <usize>(cols >> 5);
  const rowBytes = nb * d.bytes();
  const ab = d.actBytes();
  const outRow = <usize>outStride << 2;
  let t = 0;
  // Prefill: one weight row against eight tokens, each weight block decoded once for all of them; then tiles of
  // four, where a tile of two or three tokens repeats its last token.
  for (; t + 7 < nTok; t += 8) {
    const a0 = act + <usize>t * actStride;
    const a1 = a0 + actStride, a2 = a1 + actStride, a3 = a2 + actStride;
    const a4 = a3 + actStride, a5 = a4 + actStride, a6 = a5 + actStride, a7 = a6 + actStride;
    const o0 = out + <usize>t * outRow;
    const o4 = o0 + 4 * outRow;
    for (let r = rowBegin; r < rowEnd; r++) {
      let bp = w + <usize>r * rowBytes;
      let acc = f32x4.splat(0), acc4 = f32x4.splat(0);
      for (let off: usize = 0, end = nb * ab; off < end; off += ab, bp += d.bytes()) {
        const g0 = d.group0(bp), g1 = d.group1(bp);
        const w0 = d.w0(g0, bp), w1 = d.w1(g0, bp), w2 = d.w2(g1, bp), w3 = d.w3(g1, bp);
        const dw = f32x4.splat(loadHalf(bp));
        const mw = d.hasMin() ? f32x4.splat(loadHalf(bp + 2)) : dw;
        acc = tokensBlock<D>(acc, w0, w1, w2, w3, dw, mw, bp, a0 + off, a1 + off, a2 + off, a3 + off);
        acc4 = tokensBlock<D>(acc4, w0, w1, w2, w3, dw, mw, bp, a4 + off, a5 + off, a6 + off, a7 + off);
      }
      const o = o0 + (<usize>r << 2);
      storeLanes(acc, 4, o, o + outRow, o + 2 * outRow, o + 3 * outRow);
      const p = o4 + (<usize>r << 2);
      storeLanes(acc4, 4, p, p + outRow, p + 2 * outRow, p + 3 * outRow);
    }
  }
  for (; t + 1 < nTok; t += 4) {
    const count = min(nTok - t, 4);
    const a0 = act + <usize>t * actStride;
    const a1 = a0 + actStride;
    const a2 = count > 2 ? a1 + actStride : a1;
    const a3 = count > 3 ? a2 + actStride : a2;
    const o0 = out + <usize>t * outRow;
    for (let r = rowBegin; r < rowEnd; r++) {
      let bp = w + <usize>r * rowBytes;
      let acc = f32x4.splat(0);
      for (let off: usize = 0, end = nb * ab; off < end; off += ab, bp += d.bytes()) {
        const g0 = d.group0(bp), g1 = d.group1(bp);
        const dw = f32x4.splat(loadHalf(bp));
        const mw = d.hasMin() ? f32x4.splat(loadHalf(bp + 2)) : dw;
        acc = tokensBlock<D>(acc, d.w0(g0, bp), d.w1(g0, bp), d.w2(g1, bp), d.w3(g1, bp), dw, mw, bp, a0 + off, a1 + off, a2 + off, a3 + off);
      }
      const o = o0 + (<usize>r << 2);
      storeLanes(acc, count, o, o + outRow, o + 2 * outRow, o + 3 * outRow);
    }
  }
  // Decode (or the last token): four weight rows against one token. The four rows come from the four
  // quarters of the range, so that each is a sequential stream through memory (rows next to each
  // other would make four short streams that the hardware prefetchers do not follow); the last
  // rows of a range not divisible by four form a partial tile that repeats its last row.
  if (t < nTok) {
    const a = act + <usize>t * actStride;
    const o = out + <usize>t * outRow;
    const q = (rowEnd - rowBegin) >> 2;
    const qBytes = <usize>q * rowBytes;
    const qOut = <usize>q << 2;
    for (let r = rowBegin; r < rowBegin + q; r++) {
      const b0 = w + <usize>r * rowBytes;
      const o0 = o + (<usize>r << 2);
      rowsTile<D>(b0, b0 + qBytes, b0 + 2 * qBytes, b0 + 3 * qBytes, a, nb, 4, o0, o0 + qOut, o0 + 2 * qOut, o0 + 3 * qOut);
    }
    const rest = rowBegin + 4 * q;
    if (rest < rowEnd) {
      const count = rowEnd - rest;
      const b0 = w + <usize>rest * rowBytes;
      const b1 = count > 1 ? b0 + rowBytes : b0;
      const b2 = count > 2 ? b1 + rowBytes : b1;
      const o0 = o + (<usize>rest << 2);
      rowsTile<D>(b0, b1, b2, b2, a, nb, count, o0, o0 + 4, o0 + 8, o0 + 12);
    }
  }
}
