// Fuzz: mutated tokenizer.json / tokenizer_config.json objects and tokenizer.model bytes (small synthetic ones,
// seeded) either build a tokenizer that encodes and decodes without throwing, or throw a GemmaError with a
// TOKENIZER_* code; never another exception.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Tokenizer, tokenizerFromHfJson, tokenizerFromSentencePiece } from "../../src/tokenizer/index.js";
import { isGemmaError } from "../../src/util/errors.js";
import { readGolden } from "./helpers.js";
import { rng } from "./rng.js";
import { writeGemmaSpmModel } from "./spm-model-writer.js";

const CASES = 1500;
const r = rng(0x70c3e1);

const PROBES = ["", "abc hello", "<start_of_turn>x<bos>\n<unk>", "\n\n  \t", "日本😀 ▁▁", "ab".repeat(40), "\ud800x\udfff", "hello\u2581hel"];

function bytes256(): string[] {
  return Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
}

/** A small Gemma-shaped tokenizer.json. */
function tinyHfJson(): Record<string, unknown> {
  const pieces = ["<pad>", "<eos>", "<bos>", "<unk>", ...bytes256(), "\u2581", "a", "b", "c", "e", "h", "l", "o", "ab", "abc", "he", "lo", "hel", "hello", "\u2581h", "\u2581he", "\u2581hel", "\u2581hello", "\n", "\u2581\u2581"];
  const vocab = Object.fromEntries(pieces.map((p, i) => [p, i]));
  const added = (content: string, id: number, special: boolean) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
  return {
    version: "1.0",
    added_tokens: [added("<pad>", 0, true), added("<eos>", 1, true), added("<bos>", 2, true), added("<unk>", 3, true), added("\n", pieces.length - 2, false), added("\u2581\u2581", pieces.length - 1, false), added("<start_of_turn>", pieces.length, true)],
    normalizer: { type: "Replace", pattern: { String: " " }, content: "\u2581" },
    pre_tokenizer: { type: "Split", pattern: { String: " " }, behavior: "MergedWithPrevious", invert: false },
    post_processor: { type: "TemplateProcessing", single: [{ SpecialToken: { id: "<bos>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }] },
    decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "\u2581" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }] },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      byte_fallback: true,
      vocab,
      merges: [["a", "b"], ["ab", "c"], ["h", "e"], ["l", "o"], ["he", "l"], ["hel", "lo"], ["\u2581", "h"], ["\u2581h", "e"], ["\u2581he", "l"], "\u2581hel lo", ["\u2581", "\u2581"]],
    },
  };
}

function tinyConfig(): Record<string, unknown> {
  return {
    add_bos_token: true,
    bos_token: "<bos>",
    eos_token: { content: "<eos>", special: true },
    pad_token: "<pad>",
    unk_token: "<unk>",
    added_tokens_decoder: { "0": { content: "<pad>", special: true }, "2": { content: "<bos>", special: true } },
  };
}

const JUNK: readonly unknown[] = [null, undefined, 0, -1, 1.5, 2 ** 40, Number.NaN, Infinity, "", "x", "\u2581", "<0xZZ>", true, false, [], {}, [1, 2], { String: " " }];

/** Every (container, key) pair in a JSON tree. */
function slots(v: unknown, out: [Record<string | number, unknown>, string | number][] = []): [Record<string | number, unknown>, string | number][] {
  if (typeof v !== "object" || v === null) return out;
  for (const k of Object.keys(v)) {
    const key = Array.isArray(v) ? Number(k) : k;
    out.push([v as Record<string | number, unknown>, key]);
    slots((v as Record<string, unknown>)[k], out);
  }
  return out;
}

function mutateJson<T>(base: T): T {
  const doc = structuredClone(base);
  for (let m = r.int(1, 3); m > 0; m--) {
    const all = slots(doc);
    // The 256 byte pieces would take most picks; aim at the rest of the file most of the time.
    const pool = r.next() < 0.7 ? all.filter(([o]) => Object.keys(o).length < 100) : all;
    const [obj, key] = r.pick(pool.length > 0 ? pool : all);
    const v = obj[key];
    const k = r.next();
    if (k < 0.2) delete obj[key];
    else if (k < 0.5) obj[key] = r.pick(JUNK);
    else if (k < 0.7 && typeof v === "string") obj[key] = v.slice(0, r.int(0, v.length)) + r.pick(["", "a", " ", "\u2581", "<", ">", "\ud800"]);
    else if (k < 0.85 && typeof v === "number") obj[key] = r.pick([v + 1, v - 1, 0, v * 1000, -v]);
    else if (Array.isArray(obj) && obj.length > 1) obj.push(structuredClone(obj[r.int(0, obj.length - 1)]));
    else obj[key] = structuredClone(r.pick(all)[0][r.pick(all)[1]]);
  }
  return doc;
}

function mutateBytes(base: Uint8Array): Uint8Array {
  let b = Uint8Array.from(base);
  for (let m = r.int(1, 4); m > 0; m--) {
    const k = r.next();
    const at = r.int(0, Math.max(0, b.length - 1));
    if (k < 0.45) b[at] = r.int(0, 255);
    else if (k < 0.6) b = b.subarray(0, at);
    else if (k < 0.8) b = Uint8Array.from([...b.subarray(0, at), ...Array.from({ length: r.int(1, 8) }, () => r.int(0, 255)), ...b.subarray(at)]);
    else {
      const len = r.int(1, 40);
      b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + len), ...b.subarray(at)]);
    }
  }
  return b;
}

/** A structurally valid model with random pieces, types and scores (mostly valid ones). */
function randomModel(): Uint8Array {
  const alphabet = ["a", "b", "\u2581", "<0x41>", "<0x4", "<unk>", "日", "😀", "ab", "\n", "a\u2581"];
  const seen = new Set<string>();
  const pieces: { piece: string; score: number; type: number }[] = [];
  for (let i = r.int(0, 40); i > 0; i--) {
    const piece = Array.from({ length: r.int(r.next() < 0.05 ? 0 : 1, 4) }, () => r.pick(alphabet)).join("");
    if (seen.has(piece) && r.next() < 0.9) continue;
    seen.add(piece);
    const type = r.next() < 0.05 ? r.pick([0, 7, 300]) : r.pick([1, 1, 1, 1, 3, 4, 5, 5]);
    pieces.push({ piece, score: r.pick([0, -1, 1, -r.next() * 10]), type });
  }
  if (r.next() < 0.9) pieces.push({ piece: "<unk>\u2581", score: 0, type: 2 });
  if (r.next() < 0.6) for (const p of bytes256()) pieces.push({ piece: p, score: 0, type: 6 });
  return writeGemmaSpmModel(pieces);
}

function exercise(tok: Tokenizer): void {
  for (const s of PROBES) {
    for (const parseSpecial of [false, true]) {
      const ids = tok.encode(s, { parseSpecial });
      tok.decode(ids);
      tok.decode(ids, { keepSpecial: true });
      const d = tok.streamDecoder();
      for (const id of ids) d.push(id);
      d.flush();
    }
  }
  for (const id of [0, tok.vocabSize - 1]) {
    tok.piece(id);
    tok.isControl(id);
    assert.equal(tok.tokenId(tok.piece(id)) !== undefined, true);
  }
  assert.throws(() => tok.decode([tok.vocabSize]), (e) => isGemmaError(e) && e.code === "TOKENIZER_BAD_TOKEN_ID");
}

/** Runs `build` and checks the outcome; returns whether a tokenizer was built. */
function attempt(build: () => Tokenizer, what: () => string): boolean {
  let tok: Tokenizer;
  try {
    tok = build();
  } catch (e) {
    assert.ok(isGemmaError(e) && e.code.startsWith("TOKENIZER_"), `${what()}: threw ${String(e)}`);
    if (process.env.FUZZ_VERBOSE) console.log(String(e).replace(/[0-9]+/g, "N").slice(0, 90));
    return false;
  }
  try {
    exercise(tok);
  } catch (e) {
    assert.fail(`${what()}: built, then threw ${String(e)}`);
  }
  return true;
}

test("the unmutated synthetic inputs build working tokenizers", () => {
  const hf = tokenizerFromHfJson(tinyHfJson(), tinyConfig());
  exercise(hf);
  const ids = hf.encode("abc hello<start_of_turn>", { addBos: true, parseSpecial: true });
  assert.equal(ids[0], hf.bos);
  assert.equal(hf.piece(ids.at(-1)!), "<start_of_turn>");
  assert.equal(hf.decode(ids, { keepSpecial: true }), "<bos>abc hello<start_of_turn>");
  const tiny = readGolden<{ tiny: { modelBase64: string } }>("ids-sentencepiece.json.gz").tiny;
  exercise(tokenizerFromSentencePiece(new Uint8Array(Buffer.from(tiny.modelBase64, "base64"))));
});

test(`mutated tokenizer.json and tokenizer_config.json (${CASES} cases) build or throw TOKENIZER_*`, (t) => {
  let built = 0;
  for (let i = 0; i < CASES; i++) {
    const json = mutateJson(tinyHfJson());
    const config = r.next() < 0.3 ? mutateJson(tinyConfig()) : r.next() < 0.5 ? tinyConfig() : undefined;
    if (attempt(() => tokenizerFromHfJson(json, config), () => `case ${i}: ${JSON.stringify(json).slice(0, 300)}`)) built++;
  }
  t.diagnostic(`${built} of ${CASES} built`);
});

test(`mutated tokenizer.model bytes (${CASES} cases) build or throw TOKENIZER_*`, (t) => {
  const tiny = new Uint8Array(Buffer.from(readGolden<{ tiny: { modelBase64: string } }>("ids-sentencepiece.json.gz").tiny.modelBase64, "base64"));
  let built = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = i % 3 === 2 ? randomModel() : mutateBytes(tiny);
    if (attempt(() => tokenizerFromSentencePiece(bytes), () => `case ${i}: ${Buffer.from(bytes).toString("base64").slice(0, 300)}`)) built++;
  }
  t.diagnostic(`${built} of ${CASES} built`);
});
