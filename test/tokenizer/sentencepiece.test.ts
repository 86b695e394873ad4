// tokenizerFromSentencePiece against Python sentencepiece (scripts/ref/tokenizer-spm-model.py):
// a Gemma 3 tokenizer.model rebuilt from tokenizer.json (the same bytes sentencepiece read, checked by sha256),
// and a tiny model with every piece type, UNUSED merge targets included.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { type Tokenizer, tokenizerFromSentencePiece } from "../../src/tokenizer/index.js";
import { type Corpus, type ExpectedIds, type IdsGolden, hfTokenizerConfig, hfTokenizerJson, readGolden, sameIds } from "./helpers.js";
import { gemma3SpmPieces, writeGemmaSpmModel } from "./spm-model-writer.js";

interface SpmGolden extends IdsGolden {
  readonly model: { readonly sha256: string; readonly bytes: number };
  readonly agreementWithHf: { readonly agree: number; readonly total: number };
  readonly tiny: { readonly modelBase64: string; readonly strings: readonly string[]; readonly ids: readonly (readonly number[])[] };
}

const corpus = readGolden<Corpus>("corpus.json.gz");
const golden = readGolden<SpmGolden>("ids-sentencepiece.json.gz");
const hfIds = readGolden<IdsGolden>("ids-hf.json.gz");

let rebuilt: Uint8Array | undefined;
function gemma3Model(): Uint8Array {
  rebuilt ??= writeGemmaSpmModel(gemma3SpmPieces(hfTokenizerJson()));
  return rebuilt;
}

function countMismatches(tok: Tokenizer, parseSpecial: boolean, want: (i: number) => ExpectedIds | undefined): { count: number; first: string } {
  let count = 0;
  let first = "";
  corpus.strings.forEach((s, i) => {
    const w = want(i);
    if (w === undefined) return;
    const got = tok.encode(s, { parseSpecial });
    if (!sameIds(got, w) && count++ === 0) first = `#${i} ${JSON.stringify(s.slice(0, 100))} got ${JSON.stringify(got.slice(0, 30))} want ${JSON.stringify(w).slice(0, 200)}`;
  });
  return { count, first };
}

test("the rebuilt Gemma 3 model is the file sentencepiece encoded with", (t) => {
  const bytes = gemma3Model();
  assert.equal(golden.corpusSha256, corpus.corpusSha256);
  assert.equal(bytes.length, golden.model.bytes);
  assert.equal(createHash("sha256").update(bytes).digest("hex"), golden.model.sha256);
  t.diagnostic(`sentencepiece agrees with Hugging Face on ${golden.agreementWithHf.agree} of ${golden.agreementWithHf.total} strings (the rest hold control pieces, <image_soft_token> or U+2581)`);
});

test("tokenizer.model path: ids equal sentencepiece's on every corpus string", () => {
  const tok = tokenizerFromSentencePiece(gemma3Model());
  assert.equal(tok.vocabSize, 262144);
  assert.deepEqual([tok.pad, tok.eos, tok.bos, tok.unk], [0, 1, 2, 3]);
  const r = countMismatches(tok, false, (i) => golden.ids[i]);
  assert.equal(r.count, 0, `${r.count} of ${corpus.count} differ from ${golden.reference}; first: ${r.first}`);
});

test("tokenizer.model path, parseSpecial: ids equal Hugging Face's except where the files differ", () => {
  // Left out: <image_soft_token> (Hugging Face only), and literal U+2581, which SentencePiece matches against
  // user-defined pieces after escaping spaces ("▁▁ " holds the piece "▁▁▁") and Hugging Face before.
  const tok = tokenizerFromSentencePiece(gemma3Model(), hfTokenizerConfig());
  const r = countMismatches(tok, true, (i) => (/<image_soft_token>|\u2581/.test(corpus.strings[i]!) ? undefined : hfIds.ids[i]));
  assert.equal(r.count, 0, `${r.count} differ from ${hfIds.reference}; first: ${r.first}`);
});

test("tokenizer_config.json turns Gemma's turn markers into control pieces", () => {
  const bare = tokenizerFromSentencePiece(gemma3Model());
  const withConfig = tokenizerFromSentencePiece(gemma3Model(), hfTokenizerConfig());
  const text = "<start_of_turn>user\nHi<end_of_turn>";
  const ids = [105, 2364, 107, 10979, 106]; // shared/reference/references.md 4
  // SentencePiece itself matches user-defined <start_of_turn> in any text ...
  assert.deepEqual(bare.encode(text), ids);
  assert.equal(bare.isControl(105), false);
  // ... the config's special flag makes it plain text unless parseSpecial.
  assert.equal(withConfig.isControl(105), true);
  assert.ok(!withConfig.encode(text).includes(105));
  assert.deepEqual(withConfig.encode(text, { parseSpecial: true }), ids);
  assert.equal(withConfig.eos, 106); // tokenizer_config.json: eos_token <end_of_turn>
  assert.equal(withConfig.addBos, true);
});

test("tiny model with every piece type: ids equal sentencepiece's", () => {
  const tok = tokenizerFromSentencePiece(new Uint8Array(Buffer.from(golden.tiny.modelBase64, "base64")));
  golden.tiny.strings.forEach((s, i) => {
    assert.deepEqual(tok.encode(s), golden.tiny.ids[i], `encode(${JSON.stringify(s)})`);
  });
});
