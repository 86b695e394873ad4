import assert from "node:assert/strict";
import { test } from "node:test";
import { DEAD, GrammarAutomaton } from "../../../src/engine/grammar/automaton.js";
import { GrammarConstraint } from "../../../src/engine/grammar/constraint.js";
import { jsonModeConstraint, jsonSchemaConstraint, sampleConstrained, type TokenConstraint } from "../../../src/engine/grammar/index.js";
import { compileJsonSchema } from "../../../src/engine/grammar/json-schema.js";
import { gemmaVocab } from "./gemma-vocab.js";
import { GreedyTokenizer, rng } from "./helpers.js";

const vocab = gemmaVocab();
const tok = new GreedyTokenizer(vocab);

function randomLogits(seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from({ length: vocab.size }, () => next() * 20 - 10);
}

/** mask() must keep exactly the tokens allows() accepts, with their logits unchanged. */
function checkMask(c: TokenConstraint, seed: number, what: string): number {
  const original = randomLogits(seed);
  const masked = original.slice();
  c.mask(masked);
  let allowed = 0;
  for (let t = 0; t < vocab.size; t++) {
    const ok = c.allows(t);
    if (ok) allowed++;
    if (ok !== (masked[t] !== -Infinity)) assert.fail(`${what}: token ${t} ${JSON.stringify(Buffer.from(tok.bytesOf(t)).toString())}: allows ${ok}, mask ${masked[t]}`);
    if (ok) assert.equal(masked[t], original[t]);
  }
  return allowed;
}

test("the trie walk's mask agrees with stepping each token through the automaton", () => {
  const schema = {
    type: "object",
    properties: { s: { type: "string" }, n: { type: "number", minimum: 0 }, a: { type: "array", items: { enum: ["x", 1] } } },
    required: ["s", "n", "a"],
    additionalProperties: false,
  };
  const doc = '{"s": "tëxt \\"q\\" 🙂", "n": 1.5, "a": ["x", 1]}';
  const c = jsonSchemaConstraint(vocab, schema);
  const sizes: number[] = [];
  // check after every few tokens, including inside the string (most tokens allowed) and between tokens (few)
  tok.encode(doc).forEach((t, i) => {
    if (i % 3 === 0) sizes.push(checkMask(c, i, `before token ${i}`));
    c.accept(t);
  });
  assert.equal(c.complete, true);
  const allowedAtEnd = checkMask(c, 99, "complete");
  assert.ok(allowedAtEnd >= vocab.endTokens.length);
  assert.ok(Math.max(...sizes) > vocab.size / 2 && Math.min(...sizes) < 100, `mask sizes ${sizes}`);
});

test("a mask taken twice in one state (the cached path) is the same", () => {
  const c = jsonModeConstraint(vocab);
  for (const t of tok.encode('{"key": "va')) c.accept(t);
  const a = randomLogits(1);
  const b = a.slice();
  c.mask(a);
  c.mask(b);
  assert.deepEqual(a, b);
});

test("after an end token nothing is allowed", () => {
  const c = jsonSchemaConstraint(vocab, { type: "boolean" });
  for (const t of tok.encode("true")) c.accept(t);
  c.accept(vocab.endTokens[0]!);
  const logits = randomLogits(2);
  c.mask(logits);
  assert.ok(logits.every((x) => x === -Infinity));
  assert.equal(c.allows(vocab.endTokens[0]!), false);
  assert.throws(() => c.accept(vocab.endTokens[0]!), { name: "GemmaError" });
});

test("sampleConstrained keeps an allowed first draw and masks only when the draw is refused", () => {
  const argmax = (l: Float32Array) => l.reduce((best, x, i) => (x > l[best]! ? i : best), 0);
  const c = jsonSchemaConstraint(vocab, { enum: ["yes", "no"] });
  const quote = tok.encode('"')[0]!;
  const letterA = tok.encode("a")[0]!;
  const logits = new Float32Array(vocab.size);
  logits[quote] = 5;
  assert.equal(sampleConstrained(logits, c, argmax), quote);
  assert.equal(logits.filter((x) => x === -Infinity).length, 0, "an allowed draw leaves the logits alone");
  c.accept(quote);
  logits.fill(0);
  logits[letterA] = 5;
  logits[tok.encode("no")[0]!] = 1;
  assert.equal(sampleConstrained(logits, c, argmax), tok.encode("no")[0]!);
  assert.equal(logits[letterA], -Infinity);
});

test("compacting the automaton keeps its behaviour", () => {
  const g = compileJsonSchema({ type: "array", items: { type: "object" } });
  const text = new TextEncoder().encode('[{"a": [1, {"b": "c"}]}, {}]');
  for (let cut = 0; cut <= text.length; cut += 5) {
    const a = new GrammarAutomaton(g);
    let s = a.start();
    for (let i = 0; i < text.length; i++) {
      if (i === cut) s = a.compact(s);
      s = a.step(s, text[i]!);
      assert.notEqual(s, DEAD);
    }
    assert.ok(a.isComplete(s));
    assert.equal(a.step(s, 0x5d), DEAD);
  }
});

test("a constraint that empties its caches often masks exactly like one that never does", () => {
  const schema = { type: "array", items: { type: "object", properties: { n: { type: "integer", maximum: 99 }, s: { type: "string", maxLength: 8 } } } };
  const g = compileJsonSchema(schema);
  const tight = new GrammarConstraint(vocab, g, { maxStates: 40, maxStackNodes: 40 });
  const roomy = new GrammarConstraint(vocab, g);
  const doc = '[{"n": 5, "s": "abc"}, {"n": 99}, {"s": "ü🙂"}, {"n": 12, "s": "12345678"}]';
  for (const [i, t] of tok.encode(doc).entries()) {
    const a = randomLogits(i);
    const b = a.slice();
    tight.mask(a);
    roomy.mask(b);
    assert.deepEqual(a, b, `step ${i}`);
    tight.accept(t);
    roomy.accept(t);
  }
  assert.ok(tight.complete && roomy.complete);
});
