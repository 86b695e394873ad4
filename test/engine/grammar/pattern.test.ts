import assert from "node:assert/strict";
import { test } from "node:test";
import { compileJsonSchema } from "../../../src/engine/grammar/json-schema.js";
import { grammarMatches, rng } from "./helpers.js";

// Each pattern is checked against JavaScript's own RegExp engine (with the u flag, as JSON Schema reads
// patterns) on random strings over an alphabet that exercises it; the constraint sees them as JSON strings.
// Each pattern is checked against JavaScript's own RegExp engine (with the u flag, as JSON Schema reads
// patterns) on random strings made of pieces that exercise it; the constraint sees them as JSON strings.
const PATTERNS: readonly (readonly [string, readonly string[]])[] = [
  ["^[a-z]+@[a-z]+\\.com$", ["ab@ab", ".com", "a", "@", ".", "A"]],
  ["\\d{3}", ["1", "2", "a", "33"]],
  ["^(ja|nein|🙂)+$", ["ja", "nein", "🙂", "j", "x"]],
  ["^a*b?c{2,3}$", ["a", "b", "c", "cc", "d"]],
  ["x|^y|z$", ["x", "y", "z", "w"]],
  ["^[^abc]\\w\\W$", ["a", "b", "_", " ", "!", "é", "Z"]],
  ["^(?:ab|a)(?<tail>c+)?$", ["a", "b", "c"]],
  ["^\\s+\\S$", [" ", "\t", "\n", "x", "\u00a0"]],
  ["^[\\-+]?\\d+(\\.\\d{1,2})?$", ["-", "+", "1", "0", ".", "5"]],
  ["^.{2}$", ["a", "\n", "\u2028", "é"]],
  ['^"\\\\[\\u0000-\\u001f]$', ['"', "\\", "\n", "\u0001", "a"]],
  ["^\\u{1F642}+|\\x41$", ["🙂", "A", "B"]],
  ["^[]$|^[^]$", ["a", "b"]],
  ["^(a|b)*?c+?$", ["a", "b", "c"]],
];

test("patterns accept exactly the strings RegExp matches", () => {
  const next = rng(7);
  for (const [pattern, pieces] of PATTERNS) {
    const re = new RegExp(pattern, "u");
    const g = compileJsonSchema({ type: "string", pattern });
    let matched = 0;
    for (let i = 0; i < 400; i++) {
      const len = Math.floor(next() * 7);
      const s = Array.from({ length: len }, () => pieces[Math.floor(next() * pieces.length)]).join("");
      const expected = re.test(s);
      matched += expected ? 1 : 0;
      assert.equal(grammarMatches(g, JSON.stringify(s)), expected, `${pattern} on ${JSON.stringify(s)}`);
    }
    assert.ok(matched > 0, `${pattern}: no random string matched; pick better pieces`);
  }
});

test("pattern and length bounds combine", () => {
  const next = rng(8);
  const re = /[0-9]{2}/u;
  const g = compileJsonSchema({ type: "string", pattern: "[0-9]{2}", minLength: 3, maxLength: 5 });
  for (let i = 0; i < 400; i++) {
    const s = Array.from({ length: Math.floor(next() * 7) }, () => "1a"[Math.floor(next() * 2)]).join("");
    const expected = re.test(s) && s.length >= 3 && s.length <= 5;
    assert.equal(grammarMatches(g, JSON.stringify(s)), expected, JSON.stringify(s));
  }
});
