import assert from "node:assert/strict";
import { test } from "node:test";
import { compileGbnf } from "../../../src/engine/grammar/gbnf.js";
import { grammarConstraint } from "../../../src/engine/grammar/index.js";
import { gemmaVocab } from "./gemma-vocab.js";
import { grammarMatches, randomDocument, rng } from "./helpers.js";

function randomStrings(pieces: readonly string[], seed: number, count: number): string[] {
  const next = rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 8) }, () => pieces[Math.floor(next() * pieces.length)]).join(""));
}

test("a regular GBNF grammar accepts exactly what the equivalent RegExp matches", () => {
  const g = compileGbnf(`
# greetings
root     ::= greeting ("," ws name)+ "!"{1,3}
greeting ::= "hi" | "hello"
           | [Hh] "ey"
name     ::= [A-Z] [a-z]*   # a capitalized word
ws       ::= " "?
`);
  const re = /^(hi|hello|[Hh]ey)(, ?[A-Z][a-z]*)+!{1,3}$/u;
  let matched = 0;
  for (const s of randomStrings(["hi,Ann!", "hey, Bo", "Hey", "hello", ",", ",Cy", "b", "!", "x"], 1, 3000)) {
    assert.equal(grammarMatches(g, s), re.test(s), JSON.stringify(s));
    matched += re.test(s) ? 1 : 0;
  }
  assert.ok(matched > 10);
});

test("escapes, negated classes, . and counted repeats", () => {
  const g = compileGbnf(String.raw`root ::= "\x41\u00e9\n" [^\x00-\x40] "\"" . x{2,} y{,2}
x ::= [\]\-]
y ::= "\U0001F642"`);
  const re = /^Aé\n[^\x00-\x40]".[\]-]{2,}(🙂){0,2}$/su;
  let matched = 0;
  for (const s of randomStrings(['Aé\nb"x', "Aé\n@", '"', "]", "-", "🙂", "x"], 2, 3000)) {
    assert.equal(grammarMatches(g, s), re.test(s), JSON.stringify(s));
    matched += re.test(s) ? 1 : 0;
  }
  assert.ok(matched > 0);
});

test("a recursive GBNF grammar accepts exactly the balanced bracket strings", () => {
  const g = compileGbnf(`root ::= item*
item ::= "(" item* ")" | "[" item* "]"`);
  const balanced = (s: string) => {
    const stack: string[] = [];
    for (const c of s) {
      if (c === "(" || c === "[") stack.push(c === "(" ? ")" : "]");
      else if (stack.pop() !== c) return false;
    }
    return stack.length === 0;
  };
  let matched = 0;
  for (const s of randomStrings(["(", ")", "[", "]", "()"], 3, 3000)) {
    assert.equal(grammarMatches(g, s), balanced(s), s);
    matched += balanced(s) ? 1 : 0;
  }
  assert.ok(matched > 10);
});

test("random token walks under a JSON GBNF grammar give JSON", () => {
  const vocab = gemmaVocab();
  const scratch = new Float32Array(vocab.size);
  const next = rng(4);
  const json = String.raw`root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ( string ":" value ("," string ":" value)* )? "}"
array  ::= "[" ( value ("," value)* )? "]"
string ::= "\"" ( [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}) )* "\""
number ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]+)?`;
  let finished = 0;
  for (let d = 0; d < 6; d++) {
    const bytes = randomDocument(grammarConstraint(vocab, json), vocab, next, 400, scratch);
    if (bytes === null) continue;
    finished++;
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    assert.doesNotThrow(() => JSON.parse(text), text);
    assert.equal(text[0], "{");
  }
  assert.ok(finished >= 3);
});

test("bad grammars are refused with a GemmaError saying where", () => {
  const cases: readonly (readonly [string, RegExp])[] = [
    ['start ::= "a"', /no "root" rule/],
    ["root ::= other", /rule "other" used at line 1, column 10 is not defined/],
    ['root ::= expr\nexpr ::= expr "+" "1" | "1"', /rule "expr" is left-recursive/],
    ['root ::= "abc', /unterminated string/],
    ["root ::= [a-", /unterminated character class|out of order/],
    ['root ::= "a"{3,1}', /repetition bounds out of order/],
    ['root ::= <think> "a"', /token references are not supported/],
    ['root ::= "a"\nroot ::= "b"', /defined twice/],
    ['root ::= "\\q"', /bad escape/],
    ["root = x", /expected "::="/],
  ];
  for (const [src, message] of cases) {
    assert.throws(() => compileGbnf(src), (e: unknown) => e instanceof Error && e.name === "GemmaError" && message.test(e.message), src);
  }
});
