// Decoding: byte-fallback runs become UTF-8 text (invalid bytes U+FFFD, as the WHATWG decoder), control pieces
// vanish unless kept, and the streaming decoder never emits part of a character yet adds up to decode().
import assert from "node:assert/strict";
import { test } from "node:test";
import { isGemmaError } from "../../src/util/errors.js";
import { gemma3FromHf } from "./helpers.js";
import { rng } from "./rng.js";

const tok = gemma3FromHf();
const byteId = (b: number) => tok.tokenId(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`)!;

test("a byte-fallback character streams out whole when its last byte arrives", () => {
  const ids = tok.encode("🫩!"); // not in the vocabulary: four byte pieces, then "!"
  assert.deepEqual(ids.slice(0, 4), [0xf0, 0x9f, 0xab, 0xa9].map(byteId));
  const d = tok.streamDecoder();
  assert.deepEqual(ids.map((id) => d.push(id)), ["", "", "", "🫩", "!"]);
  assert.equal(d.flush(), "");
});

test("an interrupted byte sequence becomes U+FFFD, the same streamed or not", () => {
  const cases = [
    [byteId(0xe4), byteId(0xb8), tok.tokenId("a")!],
    [byteId(0xff), byteId(0x41)],
    [byteId(0xe4), byteId(0xb8)],
    [byteId(0xc3), byteId(0xa9), byteId(0xc3)],
  ];
  const expected = ["\ufffda", "\ufffdA", "\ufffd", "é\ufffd"];
  cases.forEach((ids, i) => {
    assert.equal(tok.decode(ids), expected[i]);
    const d = tok.streamDecoder();
    assert.equal(ids.map((id) => d.push(id)).join("") + d.flush(), expected[i]);
  });
});

test("control pieces decode to nothing unless kept; U+2581 becomes a space; a leading U+FEFF stays", () => {
  const ids = tok.encode("<bos>Hi there<end_of_turn>\n", { parseSpecial: true });
  assert.equal(tok.decode(ids), "Hi there\n");
  assert.equal(tok.decode(ids, { keepSpecial: true }), "<bos>Hi there<end_of_turn>\n");
  assert.equal(tok.decode([tok.tokenId("\u2581there")!, tok.tokenId("\u2581\u2581")!]), " there  ");
  assert.equal(tok.decode(tok.encode("\ufeffx")), "\ufeffx");
  assert.equal(tok.decode([byteId(0xef), byteId(0xbb), byteId(0xbf)]), "\ufeff");
});

test("streamed pieces add up to decode() for random id sequences", () => {
  const r = rng(42);
  const bytes = Array.from({ length: 256 }, (_, b) => byteId(b));
  for (let i = 0; i < 2000; i++) {
    const ids = Array.from({ length: r.int(0, 12) }, () => (r.next() < 0.6 ? r.pick(bytes) : r.int(0, tok.vocabSize - 1)));
    for (const keepSpecial of [false, true]) {
      const d = tok.streamDecoder({ keepSpecial });
      const parts = ids.map((id) => d.push(id));
      assert.equal(parts.join("") + d.flush(), tok.decode(ids, { keepSpecial }));
      // No part ends inside a surrogate pair.
      for (const p of parts) assert.ok(!/[\ud800-\udbff]$/.test(p));
    }
  }
});

test("ids outside the vocabulary throw TOKENIZER_BAD_TOKEN_ID", () => {
  for (const bad of [-1, tok.vocabSize, 1.5, Number.NaN]) {
    assert.throws(() => tok.decode([bad]), (e) => isGemmaError(e) && e.code === "TOKENIZER_BAD_TOKEN_ID");
    assert.throws(() => tok.streamDecoder().push(bad), (e) => isGemmaError(e) && e.code === "TOKENIZER_BAD_TOKEN_ID");
    assert.throws(() => tok.piece(bad), (e) => isGemmaError(e) && e.code === "TOKENIZER_BAD_TOKEN_ID");
  }
});
