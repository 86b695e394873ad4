// tokenizerFromGguf on synthetic vocab-only GGUFs (written with writeGguf, read back with readGguf):
// a vocabulary shaped like Gemma 1/2's (256,000 pieces, none of it available here) checked against the ids
// cited in shared/reference/gemma-architecture.md 5.1/5.3, and llama.cpp's defaults for absent keys.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type GgufEntry, ggufValue, readGguf, writeGguf } from "../../src/formats/gguf/index.js";
import { ggufArray } from "../../src/formats/gguf/value-builders.js";
import { PieceType, type Tokenizer, tokenizerFromGguf } from "../../src/tokenizer/index.js";
import { memorySource } from "../../src/util/byte-source.js";
import { isGemmaError } from "../../src/util/errors.js";

async function ggufTokenizer(meta: [string, GgufEntry][]): Promise<Tokenizer> {
  const chunks: Uint8Array[] = [];
  await writeGguf(async (c) => void chunks.push(c), meta, []);
  const file = await readGguf(memorySource("synthetic.gguf", Buffer.concat(chunks)));
  return tokenizerFromGguf(file.metadata, "synthetic.gguf");
}

/**
 * Gemma 1/2 layout (gemma-architecture.md 5.1): 0..3 <pad> <eos> <bos> <unk>, 4 <mask>, 5 <2mass>, 6 [@BOS@],
 * 7..105 <unused0..98>, 106/107 turn markers, 108/109 "\n"/"\n\n", bytes at 217..472. The words of 5.3's test
 * vectors sit at their cited ids; the BPE path to each word runs through its prefixes, placed at free ids.
 * Every other id holds two private-use characters, which no test text contains.
 */
function gemma2Vocab(): { pieces: string[]; types: number[]; scores: number[] } {
  const n = 256_000;
  const pieces: string[] = Array.from({ length: n }, (_, i) => String.fromCodePoint(0xf0000 + (i % 65536), 0x100000 + Math.floor(i / 65536)));
  const types: number[] = new Array<number>(n).fill(PieceType.NORMAL);
  const scores: number[] = Array.from({ length: n }, (_, i) => -i);
  const put = (id: number, piece: string, type: number = PieceType.NORMAL) => {
    pieces[id] = piece;
    types[id] = type;
  };
  ["<pad>", "<eos>", "<bos>"].forEach((p, i) => put(i, p, PieceType.CONTROL));
  put(3, "<unk>", PieceType.UNKNOWN);
  put(4, "<mask>", PieceType.CONTROL);
  put(5, "<2mass>", PieceType.CONTROL);
  put(6, "[@BOS@]", PieceType.CONTROL);
  for (let k = 0; k <= 98; k++) put(7 + k, `<unused${k}>`, PieceType.CONTROL);
  put(106, "<start_of_turn>", PieceType.CONTROL);
  put(107, "<end_of_turn>", PieceType.CONTROL);
  put(108, "\n", PieceType.USER_DEFINED);
  put(109, "\n\n", PieceType.USER_DEFINED);
  for (let b = 0; b < 256; b++) put(217 + b, `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, PieceType.BYTE);
  const cited: [number, string][] = [
    [17534, "hello"], [25612, "\u2581hello"], [4521, "Hello"], [2134, "\u2581world"], [235341, "!"], [235269, ","],
    [1368, "\u2581how"], [708, "\u2581are"], [692, "\u2581you"], [235336, "?"], [235248, "\u2581"], [235274, "1"],
    [1645, "user"], [2516, "model"], [8636, "Der"], [979, "ink"], [78904, "uyu"], [603, "\u2581is"], [671, "\u2581an"],
    [30073, "\u2581underground"], [3413, "\u2581city"], [235265, "."], [4567, "Med"],
  ];
  for (const [id, p] of cited) put(id, p);
  let free = 240_000;
  const have = new Set(pieces);
  for (const [, word] of cited) {
    for (const prefix of Array.from({ length: [...word].length - 1 }, (_, k) => [...word].slice(0, k + 1).join(""))) {
      if (!have.has(prefix)) {
        put(free++, prefix);
        have.add(prefix);
      }
    }
  }
  return { pieces, types, scores };
}

function gemmaMeta(v: { pieces: string[]; types: number[]; scores: number[] }): [string, GgufEntry][] {
  return [
    ["tokenizer.ggml.model", ggufValue.string("llama")],
    ["tokenizer.ggml.tokens", ggufValue.array(ggufArray.string(v.pieces))],
    ["tokenizer.ggml.scores", ggufValue.array(ggufArray.f32(v.scores))],
    ["tokenizer.ggml.token_type", ggufValue.array(ggufArray.i32(v.types))],
    ["tokenizer.ggml.bos_token_id", ggufValue.u32(2)],
    ["tokenizer.ggml.eos_token_id", ggufValue.u32(1)],
    ["tokenizer.ggml.unknown_token_id", ggufValue.u32(3)],
    ["tokenizer.ggml.padding_token_id", ggufValue.u32(0)],
    ["tokenizer.ggml.add_bos_token", ggufValue.bool(true)],
    ["tokenizer.ggml.add_space_prefix", ggufValue.bool(false)],
  ];
}

test("Gemma 1/2-shaped vocabulary: the ids gemma-architecture.md 5 cites", async () => {
  const tok = await ggufTokenizer(gemmaMeta(gemma2Vocab()));
  assert.deepEqual([tok.vocabSize, tok.pad, tok.eos, tok.bos, tok.unk, tok.addBos], [256_000, 0, 1, 2, 3, true]);
  assert.deepEqual(["<start_of_turn>", "<end_of_turn>", "\n", "\n\n", "<unused17>", "<0x00>", "<0xFF>"].map((p) => tok.tokenId(p)), [106, 107, 108, 109, 24, 217, 472]);
  const enc = (s: string) => tok.encode(s, { parseSpecial: true });
  assert.deepEqual(enc("Derinkuyu is an underground city."), [8636, 979, 78904, 603, 671, 30073, 3413, 235265]);
  assert.deepEqual(enc("hello"), [17534]);
  assert.deepEqual(enc(" hello"), [25612]);
  assert.deepEqual(enc("Hello world!"), [4521, 2134, 235341]);
  assert.deepEqual(enc("Hello, how are you?"), [4521, 235269, 1368, 708, 692, 235336]);
  assert.deepEqual(enc(" 1"), [235248, 235274]);
  assert.deepEqual(enc("<bos><start_of_turn>user\n"), [2, 106, 1645, 108]);
  assert.deepEqual(enc("<end_of_turn>\n<start_of_turn>model\n"), [107, 108, 106, 2516, 108]);
  assert.equal(tok.decode([4567]), "Med");
  // Byte fallback finds <0xNN> by name: 🫩 is F0 9F AB A9.
  assert.deepEqual(enc("🫩"), [0xf0, 0x9f, 0xab, 0xa9].map((b) => 217 + b));
  // Control pieces are text unless parseSpecial; user-defined ones match either way.
  assert.ok(!tok.encode("<start_of_turn>\n").includes(106));
  assert.equal(tok.encode("<start_of_turn>\n").at(-1), 108);
  assert.equal(tok.decode([2, 106, 1645, 108]), "user\n");
  assert.equal(tok.decode([2, 106, 1645, 108], { keepSpecial: true }), "<bos><start_of_turn>user\n");
});

test("absent keys take llama.cpp's defaults for the SentencePiece kind", async () => {
  // ggml-org/llama.cpp:src/llama-vocab.cpp (load): bos 1, eos 2, unk 0, no pad, add_bos and add_space_prefix on.
  const pieces = ["<unk>", "<s>", "</s>", "\u2581", "h", "i", "\u2581h", "\u2581hi"];
  const tok = await ggufTokenizer([
    ["tokenizer.ggml.model", ggufValue.string("llama")],
    ["tokenizer.ggml.tokens", ggufValue.array(ggufArray.string(pieces))],
  ]);
  assert.deepEqual([tok.unk, tok.bos, tok.eos, tok.pad, tok.addBos], [0, 1, 2, -1, true]);
  assert.deepEqual(tok.encode("hi"), [7]);
  assert.deepEqual(tok.encode("hi", { addBos: true }), [1, 7]);
  assert.deepEqual(tok.encode("x"), [3, 0]);
});

test("malformed or unsupported tokenizer metadata throws a GemmaError", async () => {
  const base = (): [string, GgufEntry][] => [
    ["tokenizer.ggml.model", ggufValue.string("llama")],
    ["tokenizer.ggml.tokens", ggufValue.array(ggufArray.string(["<unk>", "a"]))],
  ];
  const cases: [string, [string, GgufEntry][], string][] = [
    ["gpt2 kind", [["tokenizer.ggml.model", ggufValue.string("gpt2")], base()[1]!], "TOKENIZER_BAD_VOCAB"],
    ["unknown kind", [["tokenizer.ggml.model", ggufValue.string("bert")], base()[1]!], "TOKENIZER_BAD_VOCAB"],
    ["no tokens", [base()[0]!], "MODEL_MISSING_KEY"],
    ["short scores", [...base(), ["tokenizer.ggml.scores", ggufValue.array(ggufArray.f32([0]))]], "TOKENIZER_BAD_VOCAB"],
    ["bad type", [...base(), ["tokenizer.ggml.token_type", ggufValue.array(ggufArray.i32([2, 9]))]], "TOKENIZER_BAD_VOCAB"],
    ["bad byte piece", [...base(), ["tokenizer.ggml.token_type", ggufValue.array(ggufArray.i32([2, 6]))]], "TOKENIZER_BAD_VOCAB"],
    ["tokens not strings", [base()[0]!, ["tokenizer.ggml.tokens", ggufValue.array(ggufArray.i32([1]))]], "GGUF_BAD_VALUE_TYPE"],
  ];
  for (const [what, meta, code] of cases) {
    await assert.rejects(ggufTokenizer(meta), (e) => isGemmaError(e) && e.code === code, what);
  }
});
