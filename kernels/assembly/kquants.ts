import { hsum, iq4Levels, loadHalf, nibbles } from "./simd";

/*
 * Matrix products for the 256-element super-block types (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS) against Q8_K
 * activation blocks (f32 d at 0, int8 levels at 4, int16 sums of each 16 levels at 260). Layouts:
 * ggml-org/llama.cpp:ggml/src/ggml-common.h; arithmetic: ggml's scalar ggml_vec_dot_*_q8_K
 * (ggml/src/ggml-cpu/quants.c), reproduced exactly:
 *  - Q3_K..Q6_K keep 8 integer lanes per block (lane l = element index mod 8, each lane the sum of
 *    scale·level·activation), scale each lane by d in f32 into 8 f32 lane sums, subtract the mins term
 *    from a scalar f32 sum per block, and add the 8 lanes to it in order at the end;
 *  - Q2_K sums the whole block as one integer.
 * The i16x8 lanes of a 16-element group are exactly ggml's lanes (elements l and l+8 share lane l), so
 * i16x8 products are summed per lane and then multiplied by the unit's scale into two i32x4 vectors,
 * the even lanes (0, 2, 4, 6) and the odd ones, with i32x4.dot_i16x8_s against (scale, 0) and (0, scale)
 * pairs: one instruction each, where widening multiplies cost three, and no two lanes are mixed.
 *
 * A block is split into scale units of 16 elements (one group) or 32 (two groups). One weight row is
 * multiplied with up to four tokens at once, decoding each unit of weights once for all of them.
 */

const A_LEVELS: usize = 4;
const A_SUMS: usize = 260;
const A_BYTES: usize = 292;

/** i16 lanes l of w·a over a 16-element group: w[l]·a[l] + w[l+8]·a[l+8] (w as i16x8 halves, a at `p`). */
@inline function groupProducts(wl: v128, wh: v128, p: usize): v128 {
  return i16x8.add(i16x8.mul(wl, v128.load8x8_s(p)), i16x8.mul(wh, v128.load8x8_s(p, 8)));
}

/** Byte u (< 16, not a constant) of `v` as a signed integer. */
@inline function byteOf(v: v128, u: i32): i32 {
  const half = u < 8 ? i64x2.extract_lane(v, 0) : i64x2.extract_lane(v, 1);
  return <i32><i8>(half >> (<i64>(u & 7) << 3));
}

/** (v >> shift) & mask in every byte, for a shift that is not a constant. */
@inline function bitField(v: v128, shift: i32, mask: i8): v128 {
  return v128.and(i16x8.shr_u(v, shift), i8x16.splat(mask));
}

/** Σ_j bsums[j]·mins[j >> 1] for the 8 mins in bytes 8-15 of `sv` (Q4_K, Q5_K). */
@inline function minsDotPairs(sv: v128, a: usize): i32 {
  const m = i8x16.shuffle(sv, sv, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15);
  const s = i32x4.add(
    i32x4.dot_i16x8_s(v128.load(a + A_SUMS), i16x8.extend_low_i8x16_u(m)),
    i32x4.dot_i16x8_s(v128.load(a + A_SUMS + 16), i16x8.extend_high_i8x16_u(m)),
  );
  return hsum(s);
}

/**
 * The 6-bit scales (bytes 0-7) and mins (bytes 8-15) of Q4_K/Q5_K from the 12 packed bytes at `p`
 * (ggml's get_scale_min_k4, four at a time).
 */
@inline function scaleMinK4(p: usize): v128 {
  const u0 = load<u32>(p), u1 = load<u32>(p + 4), u2 = load<u32>(p + 8);
  const scalesHigh = (u2 & 0x0f0f0f0f) | (((u0 >> 6) & 0x03030303) << 4);
  const minsHigh = ((u2 >> 4) & 0x0f0f0f0f) | (((u1 >> 6) & 0x03030303) << 4);
  let v = i32x4.splat(u0 & 0x3f3f3f3f);
  v = i32x4.replace_lane(v, 1, scalesHigh);
  v = i32x4.replace_lane(v, 2, u1 & 0x3f3f3f3f);
  return i32x4.replace_lane(v, 3, minsHigh);
}

@final @unmanaged export class Q4_K {
  @inline bytes(): usize { return 144; }
  @inline units(): i32 { return 8; }
  @inline pairs(): bool { return true; }
  @inline lanes(): bool { return true; }
  @inline prepare(bp: usize): v128 { return scaleMinK4(bp + 4); }
  @inline scale(bp: usize, sv: v128, u: i32): i32 { return byteOf(sv, u); }
  // Unit u: the low (u even) or high nibbles of qs[32(u >> 1) ..][32].
  @inline group(bp: usize, u: i32, k: i32): v128 {
    return bitField(v128.load(bp + 16 + 32 * (u >> 1) + 16 * k), 4 * (u & 1), 0x0f);
  }
  @inline d(bp: usize): f32 { return loadHalf(bp); }
  /** sum -= (dmin·da)·Σ bsums·mins */
  @inline blockTerm(sum: f32, bp: usize, a: usize, sv: v128, even: v128, odd: v128): f32 {
    return sum - (loadHalf(bp + 2) * load<f32>(a)) * <f32>minsDotPairs(sv, a);
  }
}

@final @unmanaged export class Q5_K {
  @inline bytes(): usize { return 176; }
  @inline units(): i32 { return 8; }
  @inline pairs(): bool { return true; }
  @inline lanes(): bool { return true; }
  @inline prepare(bp: usize): v128 { return scaleMinK4(bp + 4); }
  @inline scale(bp: usize, sv: v128, u: i32): i32 { return byteOf(sv, u); }
  // As Q4_K (qs at 48), plus 16 where bit u of qh[16k ..][16] is set.
  @inline group(bp: usize, u: i32, k: i32): v128 {
    const nibble = bitField(v128.load(bp + 48 + 32 * (u >> 1) + 16 * k), 4 * (u & 1), 0x0f);
    const bit: i32 = 1 << u;
    const clear = i8x16.eq(v128.and(v128.load(bp + 16 + 16 * k), i8x16.splat(<i8>bit)), i8x16.splat(0));
    return v128.or(nibble, v128.andnot(i8x16.splat(16), clear));
  }
  @inline d(bp: usize): f32 { return loadHalf(bp); }
  @inline blockTerm(sum: f32, bp: usize, a: usize, sv: v128, even: v128, odd: v128): f32 {
    return sum - (loadHalf(bp + 2) * load<f32>(a)) * <f32>minsDotPairs(sv, a);
  }
}

@final @unmanaged export class Q6_K {
  @inline bytes(): usize { return 210; }
  @inline units(): i32 { return 16; }
  @inline pairs(): bool { return false; }
  @inline lanes(): bool { return true; }
  @inline prepare(bp: usize): v128 { return i32x4.splat(0); }
  @inline scale(bp: usize, sv: v128, u: i32): i32 { return <i32>load<i8>(bp + 192 + u); }
  // Unit u = elements 128h + 32r + o + [0, 16): nibble (r >> 1) of ql[64h + 32(r & 1) + o ..],
  // bit pair r of qh[32h + o ..], minus 32.
  @inline group(bp: usize, u: i32, k: i32): v128 {
    const h = u >> 3, r = (u >> 1) & 3, o = 16 * (u & 1);
    const low = bitField(v128.load(bp + 64 * h + 32 * (r & 1) + o), 4 * (r >> 1), 0x0f);
    const high = i16x8.shl(bitField(v128.load(bp + 128 + 32 * h + o), 2 * r, 0x03), 4);
    return i8x16.sub(v128.or(low, high), i8x16.splat(32));
  }
  @inline d(bp: usize): f32 { return loadHalf(bp + 208); }
  @inline blockTerm(sum: f32, bp: usize, a: usize, sv: v128, even: v128, odd: v128): f32 { return sum; }
}

@final @unmanaged export class Q3_K {
  @inline bytes(): usize { return 110; }
  @inline units(): i32 { return 16; }
  @inline pairs(): bool { return false; }
  @inline lanes(): bool { return true; }
  // 16 6-bit scales minus 32: low nibbles from bytes 0-7, high bit pairs from bytes 8-11.
  @inline prepare(bp: usize): v128 {
    const lo = load<u32>(bp + 96), mid = load<u32>(bp + 100), hi = load<u32>(bp + 104);
    let v = i32x4.splat((lo & 0x0f0f0f0f) | ((hi & 0x03030303) << 4));
    v = i32x4.replace_lane(v, 1, (mid & 0x0f0f0f0f) | (((hi >> 2) & 0x03030303) << 4));
    v = i32x4.replace_lane(v, 2, ((lo >> 4) & 0x0f0f0f0f) | (((hi >> 4) & 0x03030303) << 4));
    v = i32x4.replace_lane(v, 3, ((mid >> 4) & 0x0f0f0f0f) | (((hi >> 6) & 0x03030303) << 4));
    return i8x16.sub(v, i8x16.splat(32));
  }
  @inline scale(bp: usize, sv: v128, u: i32): i32 { return byteOf(sv, u); }
  // Unit u = elements 128h + 32j + o + [0, 16): bit pair j of qs[32h + o ..], minus 4 where bit
  // 4h + j of hmask[o ..] is clear.
  @inline group(bp: usize, u: i32, k: i32): v128 {
    const h = u >> 3, j = (u >> 1) & 3, o = 16 * (u & 1);
    const low = bitField(v128.load(bp + 32 + 32 * h + o), 2 * j, 0x03);
    const bit: i32 = 1 << (4 * h + j);
    const clear = i8x16.eq(v128.and(v128.load(bp + o), i8x16.splat(<i8>bit)), i8x16.splat(0));
    return i8x16.add(low, v128.and(clear, i8x16.splat(-4)));
  }
  @inline d(bp: usize): f32 { return loadHalf(bp + 108); }
  @inline blockTerm(sum: f32, bp: usize, a: usize, sv: v128, even: v128, odd: v128): f32 { return sum; }
}

@final @unmanaged export class Q2_K {
  @inline bytes(): usize { return 84; }
  @inline units(): i32 { return 16; }
  @inline pairs(): bool { return false; }
  @inline lanes(): bool { return false; }
  @inline prepare(bp: usize): v128 { return i32x4.splat(0); }
  @inline scale(bp: usize, sv: v128, u: i32): i32 { return <i32>load<u8>(bp + u) & 0x0f; }
  // Unit u = elements 128h + 32j + o + [0, 16): bit pair j of qs[32h + o ..].
  @inline group(bp: usize, u: i32, k: i32): v128 {
    const h = u >> 3, j = (u >> 1) & 3, o = 16 * (u & 1);
    return bitField(v128.load(bp + 16 + 32 * h + o), 2 * j, 0x03);
  }
  @inline d(bp: usize): f32 { return 0; }
  /** sum += (da·d)·isum - (da·dmin)·Σ bsums·mins */
  @inline blockTerm(sum: f32, bp: usize, a: usize, sv: v128, even: v128, odd: v128): f32 {
    const mins = nibbles(v128.load(bp), true);
    const minsDot = hsum(i32x4.add(
      i32x4.dot_i16x8_s(v128.load(a + A_SUMS), i16x8.extend_low_i8x16_u(mins)),
      i32x4.dot_i16x8_s(v128.load(a + A_SUMS + 16), i16x8.extend_high_i8x16_u(mins)),
    ));
    const da = load<f32>(a);
    return sum + ((da * loadHalf(bp + 80)) * <f32>hsum(i32x4.add(even, odd)) - (da * loadHalf(bp + 82)) * <f32>minsDot);
  }
}

/** i16 lane products of one scale unit (one or two groups) with the activation levels at `p`. */
@inline function unitProducts<D>(w0l: v128, w0h: v128, w1l: v128, w1h: v128, p: usize): v128 {
  const p0 = groupProducts(w0l, w0h, p);
  return changetype<D>(0).pairs() ? i16x8.add(p0, groupProducts(w1l, w1h, p + 16)) : p0;
}

/** The dot for one token: `sum` plus the 8 lane sums in lane order (lane types), or `sum` alone. */
@inline function finish<D>(sum: f32, even: v128, odd: v128): f32 {
  if (!changetype<D>(0).lanes()) return sum;
  sum += f32x4.extract_lane(even, 0); sum += f32x4.extract_lane(odd, 0);
  sum += f32x4.extract_lane(even, 1); sum += f32x4.extract_lane(odd, 1);
  sum += f32x4.extract_lane(even, 2); sum += f32x4.extract_lane(odd, 2);
  sum += f32x4.extract_lane(even, 3); sum += f32x4.extract_lane(odd, 3);
  return sum;
}

/**
 * Rows [rowBegin, rowEnd) against `count` tokens starting at activation row `a0`. TT only sets the tile
 * size at compile time, as sizeof<TT>(): u8 for one token, u32 for four (the code for tokens 1-3 is then
 * compiled in); missing tokens of a 4-tile repeat the last one and are not stored.
 */
@inline function tileK<D, TT>(
  w: usize, nb: usize, a0: usize, actStride: usize, count: i32, out: usize, outRow: usize, rowBegin: i32, rowEnd: i32,
): void {
  const d = changetype<D>(0);
  const T = sizeof<TT>();
  const rowBytes = nb * d.bytes();
  const unitElems = d.pairs() ? 32 : 16;
  const a1 = count > 1 ? a0 + actStride : a0;
  const a2 = count > 2 ? a1 + actStride : a1;
  const a3 = count > 3 ? a2 + actStride : a2;
  const zero = i32x4.splat(0);
  for (let r = rowBegin; r < rowEnd; r++) {
    let sum0: f32 = 0, sum1: f32 = 0, sum2: f32 = 0, sum3: f32 = 0;
    let lanes0even = zero, lanes0odd = zero, lanes1even = zero, lanes1odd = zero;
    let lanes2even = zero, lanes2odd = zero, lanes3even = zero, lanes3odd = zero;
    let bp = w + <usize>r * rowBytes;
    for (let ab: usize = 0, end = nb * A_BYTES; ab < end; ab += A_BYTES, bp += d.bytes()) {
      const sv = d.prepare(bp);
      let even0 = zero, odd0 = zero, even1 = zero, odd1 = zero, even2 = zero, odd2 = zero, even3 = zero, odd3 = zero;
      for (let u = 0; u < d.units(); u++) {
        const sc = d.scale(bp, sv, u);
        const scEven = i32x4.splat(sc & 0xffff), scOdd = i32x4.splat(sc << 16);
        const g0 = d.group(bp, u, 0);
        const g1 = d.pairs() ? d.group(bp, u, 1) : g0;
        const w0l = i16x8.extend_low_i8x16_s(g0), w0h = i16x8.extend_high_i8x16_s(g0);
        const w1l = i16x8.extend_low_i8x16_s(g1), w1h = i16x8.extend_high_i8x16_s(g1);
        const off = ab + A_LEVELS + <usize>(u * unitElems);
        let p = unitProducts<D>(w0l, w0h, w1l, w1h, a0 + off);
        even0 = i32x4.add(even0, i32x4.dot_i16x8_s(p, scEven));
        odd0 = i32x4.add(odd0, i32x4.dot_i16x8_s(p, scOdd));
        if (T > 1) {
          p = unitProducts<D>(w0l, w0h, w1l, w1h, a1 + off);
          even1 = i32x4.add(even1, i32x4.dot_i16x8_s(p, scEven));
          odd1 = i32x4.add(odd1, i32x4.dot_i16x8_s(p, scOdd));
          p = unitProducts<D>(w0l, w0h, w1l, w1h, a2 + off);
          even2 = i32x4.add(even2, i32x4.dot_i16x8_s(p, scEven));
          odd2 = i32x4.add(odd2, i32x4.dot_i16x8_s(p, scOdd));
          p = unitProducts<D>(w0l, w0h, w1l, w1h, a3 + off);
          even3 = i32x4.add(even3, i32x4.dot_i16x8_s(p, scEven));
          odd3 = i32x4.add(odd3, i32x4.dot_i16x8_s(p, scOdd));
        }
      }
      // Lane sums: lanes[l] += (d·da)·lane[l] in f32, as ggml's sums[l] += d * aux32[l] (even and odd lanes apart).
      if (d.lanes()) {
        const dw = d.d(bp);
        let s = f32x4.splat(dw * load<f32>(a0 + ab));
        lanes0even = f32x4.add(lanes0even, f32x4.mul(s, f32x4.convert_i32x4_s(even0)));
        lanes0odd = f32x4.add(lanes0odd, f32x4.mul(s, f32x4.convert_i32x4_s(odd0)));
        if (T > 1) {
          s = f32x4.splat(dw * load<f32>(a1 + ab));
          lanes1even = f32x4.add(lanes1even, f32x4.mul(s, f32x4.convert_i32x4_s(even1)));
          lanes1odd = f32x4.add(lanes1odd, f32x4.mul(s, f32x4.convert_i32x4_s(odd1)));
          s = f32x4.splat(dw * load<f32>(a2 + ab));
          lanes2even = f32x4.add(lanes2even, f32x4.mul(s, f32x4.convert_i32x4_s(even2)));
          lanes2odd = f32x4.add(lanes2odd, f32x4.mul(s, f32x4.convert_i32x4_s(odd2)));
          s = f32x4.splat(dw * load<f32>(a3 + ab));
          lanes3even = f32x4.add(lanes3even, f32x4.mul(s, f32x4.convert_i32x4_s(even3)));
          lanes3odd = f32x4.add(lanes3odd, f32x4.mul(s, f32x4.convert_i32x4_s(odd3)));
        }
      }
      sum0 = d.blockTerm(sum0, bp, a0 + ab, sv, even0, odd0);
      if (T > 1) {
        sum1 = d.blockTerm(sum1, bp, a1 + ab, sv, even1, odd1);
        sum2 = d.blockTerm(sum2, bp, a2 + ab, sv, even2, odd2);
        sum3 = d.blockTerm(sum3, bp, a3 + ab, sv, even3, odd3);
      }
    }
    const o = out + (<usize>r << 2);
    store<f32>(o, finish<D>(sum0, lanes0even, lanes0odd));
    if (T > 1) {
      if (count > 1) store<f32>(o + outRow, finish<D>(sum1, lanes1even, lanes1odd));
      if (count > 2) store<f32>(o + 2 * outRow, finish<D>(sum2, lanes2even, lanes2odd));
      if (count > 3) store<f32>(o + 3 * outRow, finish<D>(sum3, lanes3even, lanes3odd));
    }
  }
}

/** out[t·outStride + r] = dot(row r, token t), as matmul32 (see there). */
export function matmulK<D>(
  w: usize, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32,
): void {
  const nb = <usize>(cols >> 8);
  const outRow = <usize>outStride << 2;
  let t = 0;
  for (; t + 1 < nTok; t += 4) {
    tileK<D, u32>(w, nb, act + <usize>t * actStride, actStride, min(nTok - t, 4), out + <usize>t * outRow, outRow, rowBegin, rowEnd);
  }
  if (t < nTok) tileK<D, u8>(w, nb, act + <usize>t * actStride, actStride, 1, out + <usize>t * outRow, outRow, rowBegin, rowEnd);
}

/**
 * IQ4_XS (136 bytes: f16 d, u16 scales_h, scales_l[4], qs[128] indexing ggml's kvalues_iq4nl) against
 * Q8_K: per 32-element sub-block u, sum += ((d·da)·(scale_u - 32))·Σ level·a in f32, as ggml's
 * ggml_vec_dot_iq4_xs_q8_K. One row and one token at a time (a type outside the default models).
 */
export function matmulIQ4_XS(
  w: usize, cols: i32, act: usize, actStride: usize, nTok: i32, out: usize, outStride: i32, rowBegin: i32, rowEnd: i32,
): void {
  const nb = <usize>(cols >> 8);
  const rowBytes = nb * 136;
  for (let t = 0; t < nTok; t++) {
    const a0 = act + <usize>t * actStride;
    const o = out + ((<usize>t * <usize>outStride) << 2);
    for (let r = rowBegin; r < rowEnd; r++) {
      let bp = w + <usize>r * rowBytes;
      let sum: f32 = 0;
      for (let a = a0, end = a0 + nb * A_BYTES; a < end; a += A_BYTES, bp += 136) {
        const d = loadHalf(bp) * load<f32>(a);
        const high = <u32>load<u16>(bp, 2);
        for (let u = 0; u < 8; u++) {
          const ls = ((<u32>load<u8>(bp + 4 + (u >> 1)) >> (4 * (u & 1))) & 0x0f) | (((high >> (2 * u)) & 3) << 4);
          const q = v128.load(bp + 8 + 16 * u);
          const g0 = iq4Levels(nibbles(q, false));
          const g1 = iq4Levels(nibbles(q, true));
          const p = a + A_LEVELS + 32 * u;
          let s = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(g0), v128.load8x8_s(p));
          s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(g0), v128.load8x8_s(p, 8)));
          s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(g1), v128.load8x8_s(p, 16)));
          s = i32x4.add(s, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(g1), v128.load8x8_s(p, 24)));
          sum += (d * <f32>(<i32>ls - 32)) * <f32>hsum(s);
        }
      }
      store<f32>(o + (<usize>r << 2), sum);
    }
  }
}
