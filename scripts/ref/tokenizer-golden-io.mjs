// Shared by the tokenizer reference scripts: reads the corpus, writes reference ids as a gzipped JSON golden.
// Id lists longer than MAX_INLINE_IDS (the 100 KB+ inputs) are stored as their count and the sha256 of
// JSON.stringify(ids), which test/tokenizer/corpus.test.ts recomputes for our output.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync, gzipSync } from "node:zlib";

export const GOLDEN_DIR = new URL("../../test/golden/tokenizer/", import.meta.url);
export const MAX_INLINE_IDS = 4000;

export function readCorpus() {
  return JSON.parse(gunzipSync(readFileSync(new URL("corpus.json.gz", GOLDEN_DIR))).toString("utf8"));
}

export function compactIds(ids) {
  if (ids.length <= MAX_INLINE_IDS) return ids;
  return { n: ids.length, sha256: createHash("sha256").update(JSON.stringify(ids)).digest("hex") };
}

export function writeGolden(name, doc) {
  const path = new URL(name, GOLDEN_DIR);
  writeFileSync(path, gzipSync(Buffer.from(JSON.stringify(doc)), { level: 9 }));
  console.error(`wrote ${path.pathname}`);
}

/** The installed version of an npm package (read from node_modules, since not every package exports package.json). */
export function packageVersion(pkg) {
  return JSON.parse(readFileSync(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url), "utf8")).version;
}
