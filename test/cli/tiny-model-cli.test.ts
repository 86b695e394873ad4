import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

/** The CLI on a random-weight tiny Gemma 3 (test/fixtures/tiny), checked against transformers' numbers for it. */
const golden = JSON.parse(readFileSync("test/golden/model/tiny-gemma3.json", "utf8")) as {
  ids: number[];
  config: { layers: number; heads: number; kvHeads: number; headDim: number; hiddenSize: number; slidingWindow: number; vocab: number };
  transformers: { logits: number[][] };
};
const MODEL = "test/fixtures/tiny/gemma3.gguf";

test("gemma inspect --json: top-1 ids and logits per position match transformers", async () => {
  const r = await runCli(["inspect", "-m", MODEL, "--ids", golden.ids.join(","), "--top", "3", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { positions: { top: [number, number][] }[]; residualNorms: number[][] };
  assert.equal(out.positions.length, golden.ids.length);
  assert.equal(out.residualNorms.length, golden.config.layers + 1);
  golden.transformers.logits.forEach((row, t) => {
    const best = row.indexOf(Math.max(...row));
    const [id, logit] = out.positions[t]!.top[0]!;
    assert.equal(id, best, `position ${t}`);
    assert.ok(Math.abs(logit - row[best]!) < 1e-3, `position ${t}: ${logit} vs ${row[best]}`);
  });
});

test("gemma info --json reports the architecture transformers was given", async () => {
  const r = await runCli(["info", "-m", MODEL, "-c", "64", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  const c = golden.config;
  assert.equal(info.architecture, "gemma3");
  assert.deepEqual(
    [info.layers, info.heads, info.kvHeads, info.headDim, info.dModel, info.slidingWindow, info.tokenizer.vocabSize],
    [c.layers, c.heads, c.kvHeads, c.headDim, c.hiddenSize, c.slidingWindow, c.vocab],
  );
  // f32 K and V for every layer: sliding-window layers hold window + batch - 1 slots, global layers the context
  const kvPerSlot = 2 * c.kvHeads * c.headDim * 4;
  assert.ok(info.kvCacheBytes <= c.layers * 64 * kvPerSlot && info.kvCacheBytes > 0);
});

test("gemma perplexity --json: the last stdout line is the JSON result; too short a text is a clear error", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-ppl-"));
  const text = join(dir, "t.txt");
  writeFileSync(text, "hello world, the quick brown fox jumps over the lazy dog. ".repeat(6));
  const ok = await runCli(["perplexity", "-m", MODEL, "-f", text, "-c", "16", "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.trim().split("\n");
  const res = JSON.parse(lines.at(-1)!);
  assert.deepEqual(Object.keys(res).sort(), ["chunks", "ctx", "ppl", "ppl_stderr", "scored_tokens"]);
  assert.equal(res.ctx, 16);
  assert.equal(res.scored_tokens, res.chunks * (16 - 8 - 1));
  assert.ok(res.ppl > 1 && Number.isFinite(res.ppl));
  const short = await runCli(["perplexity", "-m", MODEL, "-f", text, "-c", "4096"]);
  assert.equal(short.code, 1);
  assert.match(short.stderr, /needs at least 8192/);
  assert.equal(short.stdout, "");
});

test("bad command lines fail with a one-line message and nothing on stdout", async () => {
  const cases: [string[], number, RegExp][] = [
    [["frobnicate"], 2, /unknown command "frobnicate"/],
    [["run", "--tmep", "0"], 2, /Unknown option '--tmep'/],
    [["run", "-m", MODEL, "-p", "hi", "--temp", "hot"], 2, /--temp must be a number/],
    [["run", "-m", MODEL, "-p", "hi", "-n", "0"], 2, /--max-tokens must be between 1/],
    [["perplexity", "-m", MODEL], 2, /--file is required/],
    [["info", "-m", "/nonexistent/model.gguf"], 1, /nonexistent/],
    [["inspect", "-m", MODEL, "--ids", "1,x"], 2, /--ids must be comma-separated/],
  ];
  for (const [args, code, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.equal(r.stdout, "");
  }
});

test("a truncated model file is a typed error naming the file, not a crash", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-trunc-"));
  const path = join(dir, "cut.gguf");
  const bytes = readFileSync(MODEL);
  writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const r = await runCli(["run", "-m", path, "-p", "hi", "-n", "2"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cut\.gguf/);
  assert.match(r.stderr, /\[(TRUNCATED|GGUF_[A-Z_]+)\]/);
});
