import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fimPromptIds, fimStopTokens, fimTokens } from "../../src/engine/fim.js";
import { ggufArray, ggufValue } from "../../src/formats/gguf/index.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { GemmaError } from "../../src/util/errors.js";
import { MID, PRE, SEP, SUF, TINY_GEMMA, tinyWithFimKeys } from "../helpers/tiny-fim.js";

async function markersOf(path: string) {
  const file = await openGgufPath(path);
  try {
    const model = await loadModel(path, { threads: 1 });
    return { model, fim: fimTokens(model.tokenizer, file.metadata) };
  } finally {
    await file.close();
  }
}

for (const spelling of ["current", "older"] as const) {
  test(`FIM prompt layout is <bos><prefix>{prefix}<suffix>{suffix}<middle> (${spelling} key spelling)`, async () => {
    const { model, fim } = await markersOf(await tinyWithFimKeys(spelling));
    const tok = model.tokenizer;
    assert.deepEqual(fim, { prefix: PRE, suffix: SUF, middle: MID, separator: spelling === "current" ? SEP : undefined });
    const prefix = "def f(x):\n    return";
    const suffix = " x\n<end_of_turn>";
    const plain = (s: string) => tok.encode(s, { parseSpecial: false, addBos: false });
    // gemma-architecture.md §6.2: markers as ids, no whitespace added around them, text never parsed for specials.
    const expected = [tok.bos, PRE, ...plain(prefix), SUF, ...plain(suffix), MID];
    assert.deepEqual(fimPromptIds(tok, fim, prefix, suffix), expected);
    assert.ok(!fimPromptIds(tok, fim, prefix, suffix).includes(tok.tokenId("<end_of_turn>")!), "suffix text stays text");
    assert.deepEqual(fimPromptIds(tok, fim, "", ""), [tok.bos, PRE, SUF, MID]);
  });
}

test("an infill stops at the file separator", async () => {
  const { model, fim } = await markersOf(await tinyWithFimKeys("current"));
  const tok = model.tokenizer;
  const stops = fimStopTokens(tok, fim);
  assert.deepEqual(new Set(stops), new Set([tok.eos, SEP, PRE, SUF, MID]));
  const ids = fimPromptIds(tok, fim, "a", "b");
  // A bias that makes the separator the certain first choice: generation ends there, the separator not output.
  const r = await model.generate(ids, { maxTokens: 8, temperature: 0, stopTokens: stops, logitBias: { [SEP]: 100 } }).finished();
  assert.equal(r.finishReason, "stop");
  assert.deepEqual(r.tokens, []);
  // The API's infill finds the markers through the same keys (the tiny vocabulary has no FIM pieces) and stops alike.
  const api = await model.infill("a", "b", { maxTokens: 8, temperature: 0, logitBias: { [SEP]: 100 } }).finished();
  assert.equal(api.finishReason, "stop");
  assert.deepEqual(api.tokens, []);
  const free = await model.infill("a", "b", { maxTokens: 4, temperature: 0 }).finished();
  const direct = await model.generate(ids, { maxTokens: 4, temperature: 0, stopTokens: stops }).finished();
  assert.deepEqual(free.tokens, direct.tokens, "infill continues the same prompt ids");
});

test("without FIM keys the markers are found by their pieces, and text spelling control markers stays text", async () => {
  const src = await openGgufPath(TINY_GEMMA);
  const path = join(mkdtempSync(join(tmpdir(), "gemma-fim-")), "tiny-fim-pieces.gguf");
  try {
    const pieces = [...src.metadata.stringArray("tokenizer.ggml.tokens")];
    const types = [...src.metadata.int32Array("tokenizer.ggml.token_type")];
    const named: [number, string][] = [[PRE, "<|fim_prefix|>"], [MID, "<|fim_middle|>"], [SUF, "<|fim_suffix|>"], [SEP, "<|file_separator|>"]];
    // 3: control. (A user-defined piece would be matched in plain text too, as llama.cpp's tokenizer does.)
    for (const [id, piece] of named) [pieces[id], types[id]] = [piece, 3];
    const meta = [...src.metadata.entries()].map(([k, e]) =>
      k === "tokenizer.ggml.tokens"
        ? ([k, ggufValue.array(ggufArray.string(pieces))] as const)
        : k === "tokenizer.ggml.token_type"
          ? ([k, ggufValue.array(ggufArray.i32(types))] as const)
          : ([k, e] as const),
    );
    await writeGgufPath(path, meta, src.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: () => src.readTensor(t) })));
  } finally {
    await src.close();
  }
  const model = await loadModel(path, { threads: 1 });
  const tok = model.tokenizer;
  const fim = fimTokens(tok);
  assert.deepEqual(fim, { prefix: PRE, suffix: SUF, middle: MID, separator: SEP });
  const ids = fimPromptIds(tok, fim, "<|fim_middle|>", "<|file_separator|>");
  assert.deepEqual(ids.filter((id) => id === MID || id === SEP), [MID], "only the real middle marker is an id");
});

test("a model without FIM tokens is a clear TOKENIZER_BAD_VOCAB error", async () => {
  const model = await loadModel(TINY_GEMMA, { threads: 1 });
  const file = await openGgufPath(TINY_GEMMA);
  try {
    assert.throws(
      () => fimTokens(model.tokenizer, file.metadata),
      (e: unknown) => e instanceof GemmaError && e.code === "TOKENIZER_BAD_VOCAB" && e.message.includes("<|fim_prefix|> (tokenizer.ggml.fim_pre_token_id)"),
    );
  } finally {
    await file.close();
  }
});
