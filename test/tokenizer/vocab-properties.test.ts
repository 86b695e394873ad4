// Properties of the Gemma 3 vocabulary the tokenizer relies on, checked on the file's own pieces and types
// (the GGUF when present, else tokenizer.json), and their consequence checked on encodings.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readGguf } from "../../src/formats/gguf/file.js";
import { openFileSource } from "../../src/platform/node/file-source.js";
import { PieceType } from "../../src/tokenizer/index.js";
import { defaultModelPath } from "../helpers/model.js";
import { gemma3FromGguf, gemma3FromHf } from "./helpers.js";
import { rng } from "./rng.js";

const mergeable = (t: number) => t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED;

async function gemma3Pieces(): Promise<{ source: string; pieces: readonly string[]; types: ArrayLike<number> }> {
  const path = await defaultModelPath();
  const file = await readGguf(await openFileSource(path));
  await file.close();
  return { source: path, pieces: file.metadata.stringArray("tokenizer.ggml.tokens"), types: file.metadata.int32Array("tokenizer.ggml.token_type") };
}

test("digits are single tokens: every multi-character piece holding an ASCII digit is matched whole or never", async () => {
  // split_digits only shapes SentencePiece training; at encode time the guarantee is the vocabulary's: no NORMAL
  // piece longer than one character holds 0-9, so BPE never joins a digit to anything.
  const { source, pieces, types } = await gemma3Pieces();
  const normalWithDigit = pieces.filter((p, id) => types[id] === PieceType.NORMAL && [...p].length > 1 && /[0-9]/.test(p));
  assert.deepEqual(normalWithDigit, [], source);

  const tok = (await gemma3FromGguf()) ?? gemma3FromHf();
  const r = rng(7);
  for (let i = 0; i < 300; i++) {
    const digits = Array.from({ length: r.int(1, 30) }, () => String(r.int(0, 9))).join("");
    const text = r.pick(["", "x", " ", "v", "$", "("]) + digits + r.pick(["", ".", " kg", "th", "%", ")"]);
    const digitPieces = tok.encode(text).map((id) => tok.piece(id)).filter((p) => /[0-9]/.test(p));
    assert.deepEqual(digitPieces, [...digits], JSON.stringify(text));
  }
});

test("no control, byte or unknown piece is the concatenation of two BPE symbols", async () => {
  // llama.cpp merges into whatever piece its text lookup finds; SentencePiece only into NORMAL, USER_DEFINED and
  // UNUSED pieces (google/sentencepiece:src/model_interface.cc). On Gemma's vocabulary the rules agree, because
  // no other piece can be reached by a merge.
  const { source, pieces, types } = await gemma3Pieces();
  const ids = new Map(pieces.map((p, id) => [p, id]));
  const symbol = (s: string) => [...s].length === 1 || (ids.has(s) && mergeable(types[ids.get(s)!]!));
  const reachable = pieces.filter((p, id) => {
    if (mergeable(types[id]!)) return false;
    const cps = [...p];
    return cps.some((_, k) => k > 0 && symbol(cps.slice(0, k).join("")) && symbol(cps.slice(k).join("")));
  });
  assert.deepEqual(reachable, [], source);
});
