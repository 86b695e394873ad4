import assert from "node:assert/strict";
import { test } from "node:test";
import { GGMLQuantizationType, gguf } from "@huggingface/gguf";
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

test("gemma bench --kernels: throughput per weight type of the file, and the weight bytes a decode step reads", async () => {
  const r = await runCli(["bench", "-m", MODEL, "--pp", "4", "--tg", "2", "-t", "1", "--kernels", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim()) as { weights_bytes: number; kernels: { type: string; matrices: number; bytes: number; [k: string]: unknown }[] };
  // the file's matrices as an independent reader sees them (gemma3.gguf ties the LM head to token_embd)
  const { tensorInfos } = await gguf(MODEL, { allowLocalFile: true });
  const matrices = tensorInfos.filter((t) => t.shape.length === 2);
  const types = [...new Set(matrices.map((t) => GGMLQuantizationType[t.dtype]))].sort();
  assert.deepEqual(out.kernels.map((k) => k.type).sort(), types);
  const elementBytes: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
  const bytes = matrices.reduce((s, t) => {
    const size = elementBytes[GGMLQuantizationType[t.dtype]];
    assert.ok(size !== undefined, `${t.name}: a float type expected in the tiny model`);
    return s + Number(t.shape[0]) * Number(t.shape[1]) * size;
  }, 0);
  assert.equal(out.weights_bytes, bytes);
  for (const k of out.kernels) {
    for (const key of ["matvec_gb_s", "matvec_gflop_s", "matmul_gflop_s"]) {
      const v = k[key];
      assert.ok(typeof v === "number" && Number.isFinite(v) && v > 0, `${k.type} ${key} = ${String(v)}`);
    }
  }
});
