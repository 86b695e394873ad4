import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { KV_SYNTHETIC_SPEC } from "../engine/kv-types-spec.js";
import { runCli } from "../helpers/cli.js";
import { writeSyntheticGemma3 } from "../helpers/synthetic-gguf.js";

/**
 * --kv-type on the commands that make a context, and the KV bytes of `gemma info` against the sizes llama.cpp
 * reported for the same model, context and cache type (test/golden/engine/kv-types.json).
 */
const TINY = "test/fixtures/tiny/gemma3.gguf";
const golden = JSON.parse(readFileSync("test/golden/engine/kv-types.json", "utf8")) as {
  cases: { model: string; kvType: string; contextSize: number; kvSizeMiB: number[] }[];
};
const dir = mkdtempSync(join(tmpdir(), "gemma-kv-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("gemma info --kv-type: KV bytes as llama.cpp reports them (full-length caches)", async () => {
  const synthetic = join(dir, "synthetic-hd32.gguf");
  await writeSyntheticGemma3(synthetic, KV_SYNTHETIC_SPEC);
  for (const c of golden.cases) {
    const model = c.model === "synthetic-hd32" ? synthetic : `test/fixtures/tiny/${c.model}.gguf`;
    const r = await runCli(["info", "-m", model, "-c", String(c.contextSize), "--swa-full", "--kv-type", c.kvType, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as { kvCacheBytes: number; kvType: string };
    assert.equal(info.kvType, c.kvType);
    const reported = c.kvSizeMiB.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(info.kvCacheBytes / 2 ** 20 - reported) <= 0.005 * c.kvSizeMiB.length, `${c.model} ${c.kvType}: ${info.kvCacheBytes} bytes, llama.cpp ${reported} MiB`);
  }
  const text = await runCli(["info", "-m", TINY, "-c", "64", "--kv-type", "f16"]);
  assert.match(text.stdout, /KV cache \(f16\): +[\d.]+ MiB for a context of 64/);
});

test("gemma run and bench take --kv-type; a bad or impossible type is a one-line error", async () => {
  const run = await runCli(["run", "-m", TINY, "-t", "1", "-p", "hello", "-n", "3", "--temp", "0", "--kv-type", "f16"]);
  assert.equal(run.code, 0, run.stderr);
  const bench = await runCli(["bench", "-m", TINY, "-t", "1", "--pp", "8", "--tg", "4", "--kv-type", "f16", "--json"]);
  assert.equal(bench.code, 0, bench.stderr);
  const b = JSON.parse(bench.stdout.trim().split("\n").at(-1)!) as { kv_type: string; kv_bytes: number };
  assert.equal(b.kv_type, "f16");
  assert.ok(b.kv_bytes > 0);
  const bad = await runCli(["run", "-m", TINY, "-p", "hello", "--kv-type", "q4_0"]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--kv-type must be f32, f16 or q8_0/);
  const q8 = await runCli(["run", "-m", TINY, "-p", "hello", "--kv-type", "q8_0"]);
  assert.notEqual(q8.code, 0);
  // after the progress lines of loading, one line naming the problem
  assert.match(q8.stderr.trim().split("\n").at(-1)!, /^gemma run: a q8_0 KV cache needs a head size that is a multiple of 32/);
});
