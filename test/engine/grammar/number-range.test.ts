import assert from "node:assert/strict";
import { test } from "node:test";
import { compileJsonSchema } from "../../../src/engine/grammar/json-schema.js";
import { grammarMatches } from "./helpers.js";

/** Exact value of a decimal string in thousandths (all test values and bounds have at most 3 decimals). */
function milli(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)!;
  const frac = (m[3] ?? "").padEnd(3, "0");
  assert.ok(frac.length === 3, `test values need at most 3 decimals: ${text}`);
  const v = BigInt(m[2]!) * 1000n + BigInt(frac);
  return m[1] ? -v : v;
}

/** Candidate numbers: every integer in a window, and decimals with 1 to 3 fraction digits around the bounds. */
function candidates(withFractions: boolean): string[] {
  const out: string[] = [];
  for (let i = -130; i <= 130; i++) out.push(String(i));
  out.push("1000", "-1000", "99999", "-99999", "1234567");
  if (withFractions) {
    for (let i = -40; i <= 40; i++) {
      const ip = Math.abs(Math.trunc(i / 10));
      const sign = i < 0 ? "-" : "";
      for (const f of ["0", "1", "09", "5", "49", "5000", "51", "75", "749", "751", "999"].map((x) => x.slice(0, 3))) {
        if (ip === 0 && sign && /^0+$/.test(f)) continue; // negative zero is outside the generated forms
        out.push(`${sign}${ip}.${f}`, `${sign}${ip + (Math.abs(i) % 10)}.${f}`);
      }
    }
  }
  return [...new Set(out)];
}

const BOUNDS: readonly Record<string, number>[] = [
  {},
  { minimum: 0 },
  { minimum: -15, maximum: 27 },
  { exclusiveMinimum: 0, exclusiveMaximum: 100 },
  { minimum: -2.5, maximum: 3.75 },
  { exclusiveMinimum: 0.1 },
  { exclusiveMaximum: -0.5 },
  { minimum: 1.25, exclusiveMaximum: 1.5 },
  { minimum: -3.749, maximum: -3.001 },
  { minimum: 5, exclusiveMinimum: 5 },
  { maximum: 0 },
  { exclusiveMaximum: 0 },
  { minimum: 0, maximum: 0 },
  { minimum: -100, maximum: 99999 },
];

function inRange(v: bigint, b: Record<string, number>): boolean {
  const bound = (k: string) => (b[k] === undefined ? undefined : milli(String(b[k])));
  const [mn, mx, emn, emx] = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].map(bound);
  return (mn === undefined || v >= mn) && (mx === undefined || v <= mx) && (emn === undefined || v > emn) && (emx === undefined || v < emx);
}

test("integer bounds accept exactly the integers in range (checked by exact arithmetic)", () => {
  for (const b of BOUNDS) {
    if (!candidates(false).some((text) => inRange(milli(text), b))) {
      // no integer in range: refused
      assert.throws(() => compileJsonSchema({ type: "integer", ...b }), /matches no document/);
      continue;
    }
    const g = compileJsonSchema({ type: "integer", ...b });
    for (const text of candidates(false)) {
      assert.equal(grammarMatches(g, text), inRange(milli(text), b), `${JSON.stringify(b)} on ${text}`);
    }
  }
});

test("number bounds accept exactly the decimals in range (checked by exact arithmetic)", () => {
  for (const b of BOUNDS) {
    const g = compileJsonSchema({ type: "number", ...b });
    for (const text of candidates(true)) {
      assert.equal(grammarMatches(g, text), inRange(milli(text), b), `${JSON.stringify(b)} on ${text}`);
    }
  }
});

test("an unbounded number takes every JSON number form", () => {
  const g = compileJsonSchema({ type: "number" });
  for (const text of ["0", "-0", "-0.0", "12.5e10", "1E-2", "3e+7"]) assert.ok(grammarMatches(g, text), text);
  for (const text of ["01", "1.", ".5", "+1", "1e", "--1", "0x10"]) assert.ok(!grammarMatches(g, text), text);
});
