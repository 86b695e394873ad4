// The strict JSON reader (src/formats/hf/json.ts) against the JavaScript engine's JSON.parse:
// same values for valid documents, refusals where JSON.parse refuses, and the documented extra
// strictness (duplicate keys, lone surrogate escapes, out-of-range numbers, nesting depth).
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonFloat, parseJsonBytes } from "../../../src/formats/hf/json.js";
import { isGemmaError } from "../../../src/util/errors.js";
import { rng } from "./helpers.js";

const enc = new TextEncoder();
const OPTIONS = { fileName: "f.json", what: "the test document", code: "HF_BAD_CONFIG" } as const;
const parse = (text: string) => parseJsonBytes(enc.encode(text), OPTIONS).value;

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 3 ? 5 : 7));
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pickNumber(r);
    case 3:
    case 4:
      return Array.from({ length: Math.floor(r() * 6) }, () => String.fromCodePoint(pickCodePoint(r))).join("");
    case 5:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < r() * 4; i++) o[String(randomValue(r, 9))] = randomValue(r, depth + 1);
      return o;
    }
  }
}

function pickNumber(r: () => number): number {
  const choices = [0, -0, 1, -1, 2 ** 53, 1e-7, 123.456, -1e300, 5e-324, Math.floor(r() * 1e6), r() * 1000 - 500];
  return choices[Math.floor(r() * choices.length)]!;
}

function pickCodePoint(r: () => number): number {
  const ranges = [
    [0x20, 0x7e],
    [0, 0x1f],
    [0x80, 0x7ff],
    [0x800, 0xd7ff],
    [0xe000, 0xffff],
    [0x10000, 0x10ffff],
  ] as const;
  const [lo, hi] = ranges[Math.floor(r() * ranges.length)]!;
  return lo + Math.floor(r() * (hi - lo + 1));
}

test("2,000 random documents read the same as JSON.parse (compact and indented)", () => {
  for (let seed = 1; seed <= 2000; seed++) {
    const r = rng(seed);
    const value = randomValue(r, 0);
    const text = JSON.stringify(value, null, seed % 2 ? 2 : undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(parse(text))), JSON.parse(text), `seed ${seed}`);
  }
});

test("2,000 corrupted documents: refused exactly when JSON.parse refuses, apart from the stricter rules", () => {
  const pieces = ["{", "}", "[", "]", ",", ":", '"', "\\", "\\u", "\\ud800", "1e", "-", "01", ".5", "tru", "\t", "\u000b", "\u00a0", " "];
  for (let seed = 1; seed <= 2000; seed++) {
    const r = rng(50_000 + seed);
    let text = JSON.stringify(randomValue(r, 0));
    for (let i = 0; i < 1 + r() * 2; i++) {
      const at = Math.floor(r() * (text.length + 1));
      const cut = r() < 0.5 ? 1 : 0;
      text = text.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + text.slice(at + cut);
    }
    // A cut may split a surrogate pair; compare on the text the UTF-8 bytes really hold.
    text = new TextDecoder().decode(enc.encode(text));
    let engine: unknown;
    let engineOk = true;
    try {
      engine = JSON.parse(text);
    } catch {
      engineOk = false;
    }
    try {
      const ours = parse(text);
      assert.ok(engineOk, `seed ${seed}: we accept ${JSON.stringify(text)}, JSON.parse refuses`);
      assert.deepEqual(JSON.parse(JSON.stringify(ours)), JSON.parse(JSON.stringify(engine)), `seed ${seed}`);
    } catch (e) {
      if (!isGemmaError(e)) throw e;
      assert.equal(e.code, "HF_BAD_CONFIG");
      if (engineOk) assert.match(e.message, /duplicate key|surrogate|out of range|nesting/, `seed ${seed}: ${e.message}`);
    }
  }
});

test("stricter than JSON.parse: duplicate keys, lone surrogates, infinite numbers, deep nesting", () => {
  const refused = (text: string, why: RegExp) =>
    assert.throws(() => parse(text), (e: Error & { code?: string }) => e.code === "HF_BAD_CONFIG" && why.test(e.message));
  refused('{"a": 1, "a": 2}', /duplicate key "a" at line 1 column 10 \(byte offset 9\)/);
  refused('"\\ud800"', /surrogate/);
  refused('"\\udc00x"', /surrogate/);
  refused("1e400", /out of range/);
  refused("[".repeat(600) + "]".repeat(600), /nesting/);
  assert.equal(parse('"\\ud83d\\ude00"'), "\u{1f600}");
});

test("keys such as __proto__ stay plain members", () => {
  const v = parse('{"__proto__": {"x": 1}, "constructor": 2}') as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ["__proto__", "constructor"]);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(v, JSON.parse('{"__proto__": {"x": 1}, "constructor": 2}'));
});

test("bad UTF-8 and error positions are given in bytes of the whole file", () => {
  const bytes = Uint8Array.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x3a, 0xc0, 0xaf, 0x7d]);
  assert.throws(
    () => parseJsonBytes(bytes, { ...OPTIONS, baseOffset: 8 }),
    (e: Error) => /not valid UTF-8 \(byte offset 14\)/.test(e.message),
  );
  // "é" is two bytes: the error after it is at byte 5 of the text, byte 13 of the file.
  assert.throws(
    () => parseJsonBytes(enc.encode('{"é"}'), { ...OPTIONS, baseOffset: 8 }),
    (e: Error) => /line 1 column 5 \(byte offset 13\)/.test(e.message),
  );
});

test("markFloats tells 2.0 and 2e0 apart from 2", () => {
  const v = parseJsonBytes(enc.encode("[2, 2.0, 2e0, -0]"), { ...OPTIONS, markFloats: true }).value as unknown[];
  assert.equal(v[0], 2);
  assert.ok(v[1] instanceof JsonFloat && v[1].lexeme === "2.0");
  assert.ok(v[2] instanceof JsonFloat && v[2].value === 2);
  assert.ok(Object.is(v[3], -0));
});
