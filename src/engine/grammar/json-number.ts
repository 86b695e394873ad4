import type { Element, GrammarBuilder } from "./grammar.js";

/** A finite decimal: magnitude = int + 0.frac (frac has no trailing zeros), negative only when nonzero. */
export interface Decimal {
  readonly neg: boolean;
  readonly int: bigint;
  readonly frac: string;
}

/** One end of a range; strict = exclusive. */
export interface Bound {
  readonly value: Decimal;
  readonly strict: boolean;
}

/** The exact decimal a JavaScript number prints as (its shortest round-trip form). */
export function decimalOf(x: number): Decimal {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x))!;
  const digits = m[2]! + (m[3] ?? "");
  const point = m[2]!.length + Number(m[4] ?? 0);
  const padded = point > digits.length ? digits.padEnd(point, "0") : point < 0 ? "0".repeat(-point) + digits : digits;
  const at = Math.max(point, 0);
  const int = BigInt(padded.slice(0, at) || "0");
  const frac = padded.slice(at).replace(/0+$/, "");
  return { neg: m[1] === "-" && (int !== 0n || frac !== ""), int, frac };
}

/** The least integer >= d (> d when strict). */
export function integerAbove(b: Bound): bigint {
  const { neg, int, frac } = b.value;
  if (neg) return frac === "" ? -int + (b.strict ? 1n : 0n) : -int;
  return frac === "" ? int + (b.strict ? 1n : 0n) : int + 1n;
}

/** The greatest integer <= d (< d when strict). */
export function integerBelow(b: Bound): bigint {
  const { neg, int, frac } = b.value;
  if (neg) return frac === "" ? -int - (b.strict ? 1n : 0n) : -int - 1n;
  return frac === "" ? int - (b.strict ? 1n : 0n) : int;
}

/**
 * Grammar rules for JSON numbers (RFC 8259 section 6). Bounded ranges are built digit by digit, the way
 * range-to-regex tools do: split by length, then by the first digit where the bounds differ. Bounded numbers
 * (not integers) are written without an exponent, so that their digits can be compared with the bounds.
 */
export class JsonNumberWriter {
  private readonly b: GrammarBuilder;
  private readonly digit: Element;
  private anyDigits: number | undefined;
  private anyFraction: number | undefined;

  constructor(b: GrammarBuilder) {
    this.b = b;
    this.digit = b.byteRange(0x30, 0x39);
  }

  /** Any JSON number. */
  number(): number {
    const b = this.b;
    const nat = this.natural();
    const sign = b.choice("exponent sign", [[], [b.anyOf("+-")]]);
    const exp = b.choice("exponent", [[], [b.anyOf("eE"), sign, this.digit, this.digits()]]);
    return b.choice("number", [
      [this.minus(), nat, this.fraction(), exp],
      [nat, this.fraction(), exp],
    ]);
  }

  /** Integers in lo..hi (null = unbounded), written without fraction or exponent. */
  integer(lo: bigint | null, hi: bigint | null): number {
    const b = this.b;
    const r = b.rule(`integer ${lo ?? "-inf"}..${hi ?? "inf"}`);
    if (hi === null || hi >= 0n) for (const a of this.naturals(lo === null || lo < 0n ? 0n : lo, hi)) b.alt(r, a);
    if (lo === null || lo < 0n) {
      const magMin = hi === null || hi >= 0n ? 1n : -hi;
      const magMax = lo === null ? null : -lo;
      for (const a of this.naturals(magMin, magMax)) b.alt(r, [this.minus(), ...a]);
    }
    return r;
  }

  /** Numbers between two bounds (null = unbounded), written as -?int(.frac)?. */
  boundedNumber(lo: Bound | null, hi: Bound | null): number {
    const b = this.b;
    const r = b.rule("bounded number");
    const zero: Bound = { value: { neg: false, int: 0n, frac: "" }, strict: false };
    const hiNonNeg = hi === null || !hi.value.neg;
    const hiIsZero = hi !== null && hi.value.int === 0n && hi.value.frac === "";
    if (hiNonNeg && !(hiIsZero && hi.strict)) {
      const low = lo === null || lo.value.neg ? zero : lo;
      for (const a of this.magnitudes(low, hi)) b.alt(r, a);
    }
    if (lo === null || lo.value.neg) {
      // x in [lo, hi] with x < 0  <=>  -x in [max(-hi, 0+), -lo]
      const low: Bound =
        hi !== null && hi.value.neg ? { value: { ...hi.value, neg: false }, strict: hi.strict } : { value: zero.value, strict: true };
      const high: Bound | null = lo === null ? null : { value: { ...lo.value, neg: false }, strict: lo.strict };
      for (const a of this.magnitudes(low, high)) b.alt(r, [this.minus(), ...a]);
    }
    return r;
  }

  /** Alternatives for non-negative decimals m with low <= m <= high (strictness per bound). */
  private magnitudes(low: Bound, high: Bound | null): Element[][] {
    const b = this.b;
    const iLo = low.value.int;
    const lit = (i: bigint) => b.literal(i.toString());
    const out: Element[][] = [];
    if (high === null) {
      for (const a of this.naturals(iLo + 1n, null)) out.push([...a, this.fraction()]);
      out.push([...lit(iLo), this.fractionIn(low, null)]);
      return out;
    }
    const iHi = high.value.int;
    if (iLo < iHi) {
      out.push([...lit(iLo), this.fractionIn(low, null)]);
      if (iLo + 1n <= iHi - 1n) for (const a of this.naturals(iLo + 1n, iHi - 1n)) out.push([...a, this.fraction()]);
      out.push([...lit(iHi), this.fractionIn(null, high)]);
    } else if (iLo === iHi) out.push([...lit(iLo), this.fractionIn(low, high)]);
    return out;
  }

  /**
   * The optional fraction part `.D` of a number whose integer part equals the bounds' integer parts, with
   * 0.D between the bounds' fractions. A state is (digits so far, still equal to the low bound's digits,
   * still equal to the high bound's digits); past the last digit of a bound its digits are zeros.
   */
  private fractionIn(low: Bound | null, high: Bound | null): number {
    const b = this.b;
    const lf = low?.value.frac ?? "";
    const hf = high?.value.frac ?? "";
    const len = Math.max(lf.length, hf.length);
    const digitAt = (f: string, i: number) => (i < f.length ? f.charCodeAt(i) - 48 : 0);
    const endOk = (i: number, tl: boolean, th: boolean): boolean => {
      // stopping at i digits: equal to the bound's digits so far means equal (low: the rest of lf is zeros
      // only when i >= lf.length) or below it (high)
      const lowOk = !tl || (i >= lf.length && !low!.strict);
      const highOk = !th || !high!.strict || i < hf.length;
      return lowOk && highOk;
    };
    const more = new Map<string, number>(); // digits that may follow (zero or more)
    const some = new Map<string, number>(); // at least one digit
    const key = (i: number, tl: boolean, th: boolean) => `${tl || th ? Math.min(i, len) : len},${tl},${th}`;
    const someRule = (i: number, tl: boolean, th: boolean): number => {
      const k = key(i, tl, th);
      let r = some.get(k);
      if (r !== undefined) return r;
      r = b.rule(`fraction digits ${k}`);
      some.set(k, r);
      const dLo = tl ? digitAt(lf, i) : 0;
      const dHi = th ? digitAt(hf, i) : 9;
      const groups: [number, number, boolean, boolean][] = [];
      for (let d = dLo; d <= dHi; d++) {
        const ntl = tl && d === dLo;
        const nth = th && d === dHi;
        const last = groups[groups.length - 1];
        if (last && last[1] === d - 1 && last[2] === ntl && last[3] === nth) last[1] = d;
        else groups.push([d, d, ntl, nth]);
      }
      for (const [d0, d1, ntl, nth] of groups) b.alt(r, [b.byteRange(48 + d0, 48 + d1), moreRule(i + 1, ntl, nth)]);
      return r;
    };
    const moreRule = (i: number, tl: boolean, th: boolean): number => {
      const k = key(i, tl, th);
      let r = more.get(k);
      if (r !== undefined) return r;
      r = b.rule(`fraction rest ${k}`);
      more.set(k, r);
      if (endOk(i, tl, th)) b.alt(r, []);
      b.alt(r, [someRule(i, tl, th)]);
      return r;
    };
    const tl0 = low !== null;
    const th0 = high !== null;
    const alts: Element[][] = [[b.byteRange(0x2e, 0x2e), someRule(0, tl0, th0)]];
    if (endOk(0, tl0, th0)) alts.push([]);
    return b.choice("fraction in range", alts);
  }

  /** Alternatives for naturals lo..hi (hi null = unbounded) without leading zeros. */
  private naturals(lo: bigint, hi: bigint | null): Element[][] {
    const b = this.b;
    if (hi !== null && lo > hi) return [];
    const loLen = lo.toString().length;
    const out: Element[][] = [];
    const maxLen = hi === null ? loLen : hi.toString().length;
    for (let len = loLen; len <= maxLen; len++) {
      const first = len === 1 ? 0n : 10n ** BigInt(len - 1);
      const last = 10n ** BigInt(len) - 1n;
      const a = lo > first ? lo : first;
      const z = hi !== null && hi < last ? hi : last;
      if (a > z) continue;
      for (const seq of sameLengthRanges(a.toString(), z.toString())) {
        out.push(seq.map(([d0, d1]) => b.byteRange(48 + d0, 48 + d1)));
      }
    }
    if (hi === null) {
      // every number with more digits than lo
      const seq: Element[] = [b.byteRange(0x31, 0x39)];
      for (let i = 0; i < loLen; i++) seq.push(this.digit);
      out.push([...seq, this.digits()]);
    }
    return out;
  }

  private natural(): number {
    const b = this.b;
    return b.choice("natural", [b.literal("0"), [b.byteRange(0x31, 0x39), this.digits()]]);
  }

  /** Zero or more digits. */
  private digits(): number {
    this.anyDigits ??= this.b.repeat("digits", [this.digit], 0, Infinity);
    return this.anyDigits;
  }

  /** An optional unrestricted fraction part. */
  private fraction(): number {
    const b = this.b;
    this.anyFraction ??= b.choice("fraction", [[], [b.byteRange(0x2e, 0x2e), this.digit, this.digits()]]);
    return this.anyFraction;
  }

  private minus(): Element {
    return this.b.byteRange(0x2d, 0x2d);
  }
}

/**
 * Digit-range sequences covering exactly the numbers x..y, two digit strings of equal length (x <= y): each
 * sequence lists an inclusive [low, high] digit range per position.
 */
function sameLengthRanges(x: string, y: string): [number, number][][] {
  if (x.length === 0) return [[]];
  const x0 = x.charCodeAt(0) - 48;
  const y0 = y.charCodeAt(0) - 48;
  const xs = x.slice(1);
  const ys = y.slice(1);
  if (x0 === y0) return sameLengthRanges(xs, ys).map((s) => [[x0, x0], ...s]);
  const out: [number, number][][] = [];
  let lo = x0;
  let hi = y0;
  if (!/^0*$/.test(xs)) {
    out.push(...sameLengthRanges(xs, "9".repeat(xs.length)).map((s): [number, number][] => [[x0, x0], ...s]));
    lo++;
  }
  if (!/^9*$/.test(ys)) {
    out.push(...sameLengthRanges("0".repeat(ys.length), ys).map((s): [number, number][] => [[y0, y0], ...s]));
    hi--;
  }
  if (lo <= hi) out.push([[lo, hi], ...Array.from({ length: xs.length }, (): [number, number] => [0, 9])]);
  return out;
}
