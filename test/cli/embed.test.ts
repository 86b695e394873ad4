import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

/**
 * `gemma embed` on the tiny random EmbeddingGemma: the printed vector is llama.cpp's (test/golden/model/
 * embedding-tiny.json, produced by scripts/ref/model-embedding-tiny.py; cosine >= 0.9999, within conventions.md's
 * 5e-3), --json reports the token count llama.cpp ran, and a model that is not an embedding model is refused with
 * a one-line error.
 */
const golden = JSON.parse(readFileSync("test/golden/model/embedding-tiny.json", "utf8")) as {
  fixture: { gguf: string };
  cases: { text: string; ids: number[]; llama: number[] }[];
};

function closeTo(v: readonly number[], ref: readonly number[]): void {
  assert.equal(v.length, ref.length);
  let dot = 0;
  for (let i = 0; i < v.length; i++) {
    assert.ok(Math.abs(v[i]! - ref[i]!) <= 5e-3, `component ${i}: ${v[i]} vs ${ref[i]}`);
    dot += v[i]! * ref[i]!;
  }
  assert.ok(dot / Math.hypot(...v) / Math.hypot(...ref) >= 0.9999);
}

test("gemma embed prints llama.cpp's vector; --json adds dimensions and tokens", async () => {
  const c = golden.cases[2]!;
  const plain = await runCli(["embed", "-m", golden.fixture.gguf, "-t", "1", "-p", c.text]);
  assert.equal(plain.code, 0, plain.stderr);
  closeTo(plain.stdout.trim().split(" ").map(Number), c.llama);
  const json = await runCli(["embed", "-m", golden.fixture.gguf, "-t", "1", "-p", c.text, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout) as { dimensions: number; tokens: number; embedding: number[] };
  assert.equal(out.dimensions, c.llama.length);
  assert.equal(out.tokens, c.ids.length);
  closeTo(out.embedding, c.llama);
});

test("gemma embed refuses a model that is not an embedding model", async () => {
  const r = await runCli(["embed", "-m", "test/fixtures/tiny/gemma3.gguf", "-t", "1", "-p", "hello"]);
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /not an embedding model/);
});
