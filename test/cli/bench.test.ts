import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

/** `gemma bench` on the random-weight tiny Gemma 3: the report's shape and the settings it echoes, never timings. */
const MODEL = "test/fixtures/tiny/gemma3.gguf";

test("gemma bench --json prints one object: positive finite measurements and the settings it was given", async () => {
  const r = await runCli(["bench", "-m", MODEL, "--pp", "16", "--tg", "8", "--depth", "4", "--reps", "2", "-t", "1", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, r.stdout);
  const out = JSON.parse(lines[0]!) as Record<string, unknown>;
  for (const key of ["prefill_tok_s", "decode_tok_s", "ttft_ms", "load_ms", "peak_rss_mb"]) {
    const v = out[key];
    assert.ok(typeof v === "number" && Number.isFinite(v) && v > 0, `${key} = ${String(v)}`);
  }
  assert.equal(out.pp, 16);
  assert.equal(out.tg, 8);
  assert.equal(out.depth, 4);
  assert.equal(out.reps, 2);
  assert.equal(out.threads, 1);
  assert.equal(out.context_size, 4 + 16 + 8);
  assert.equal(out.model_file, "gemma3.gguf");
  assert.equal(typeof out.backend, "string");
});

test("gemma bench: bad flags are a one-line usage error with exit code 2", async () => {
  for (const args of [["--pp", "0"], ["--tg", "abc"], ["--reps", "0"], ["--depth=-1"]]) {
    const r = await runCli(["bench", "-m", MODEL, ...args]);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`--${args[0]!.slice(2).split("=")[0]!}`));
  }
});
