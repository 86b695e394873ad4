// Generates test/golden/engine/kv-types.json: llama.cpp's logits and KV cache size with f16 and q8_0 K/V caches,
// for test/engine/kv-types.test.ts.
//
// Run: node --import tsx scripts/ref/kv-types-golden.ts   (about a minute)
//
// Models: the tiny F32 fixtures (test/fixtures/tiny; head sizes 24, 16, 4, 8, so only an f16 cache: llama.cpp
// refuses a q8_0 cache whose blocks would straddle heads), and a synthetic F32 Gemma 3 with 32-wide heads written
// by test/helpers/synthetic-gguf.ts (its sha256 is recorded; the test rewrites it and checks). llama.cpp runs in
// a child process (scripts/ref/llama-worker.mjs) with flash attention off for f16 and on for q8_0 (llama.cpp needs
// it for a quantized V cache), full-length sliding-window caches, one thread.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KV_SYNTHETIC_SPEC } from "../../test/engine/kv-types-spec.js";
import { writeSyntheticGemma3 } from "../../test/helpers/synthetic-gguf.js";

const root = join(import.meta.dirname, "../..");
const outPath = join(root, "test/golden/engine/kv-types.json");
const CONTEXT = 4096;
const DIGITS = 1e6;

interface Case {
  readonly name: string;
  readonly gguf: string;
  readonly kvType: "f16" | "q8_0";
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

function runWorker(job: unknown): { llamaCppRelease: unknown; kvLog: string[]; context: unknown; results: { logits: number[][] }[] } {
  const dir = mkdtempSync(join(tmpdir(), "kv-golden-"));
  try {
    writeFileSync(join(dir, "job.json"), JSON.stringify(job));
    execFileSync(process.execPath, [join(root, "scripts/ref/llama-worker.mjs"), join(dir, "job.json"), join(dir, "result.json")], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    return JSON.parse(readFileSync(join(dir, "result.json"), "utf8"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ids = (JSON.parse(readFileSync(join(root, "test/golden/model/tiny-gemma3.json"), "utf8")) as { ids: number[] }).ids;
// Positions recorded: every fifth, and the last (the rest would only make the file larger).
const positions = ids.map((_, i) => i).filter((i) => i % 5 === 0 || i === ids.length - 1);

const work = mkdtempSync(join(tmpdir(), "kv-synthetic-"));
const synthetic = join(work, "synthetic-hd32.gguf");
await writeSyntheticGemma3(synthetic, KV_SYNTHETIC_SPEC);
const syntheticSha = createHash("sha256").update(readFileSync(synthetic)).digest("hex");

const cases: Case[] = [
  ...["gemma", "gemma2", "gemma2-qscale", "gemma3"].map((n) => ({ name: n, gguf: `test/fixtures/tiny/${n}.gguf`, kvType: "f16" as const })),
  { name: "synthetic-hd32", gguf: synthetic, kvType: "f16" },
  { name: "synthetic-hd32", gguf: synthetic, kvType: "q8_0" },
];
let release: unknown;
const out = [];
for (const c of cases) {
  const flashAttention = c.kvType === "q8_0";
  const r = runWorker({
    model: c.gguf.startsWith("/") ? c.gguf : join(root, c.gguf),
    context: { contextSize: CONTEXT, batchSize: 64, threads: 1, kvType: c.kvType.toUpperCase(), flashAttention, swaFull: true },
    tasks: [{ kind: "fullLogits", ids }],
  });
  release = r.llamaCppRelease;
  // "llama_kv_cache: size = X MiB (...)": one line per cache (global and sliding-window layers).
  const kvMiB = r.kvLog.flatMap((l) => /llama_kv_cache: size =\s*([\d.]+) MiB/.exec(l)?.[1] ?? []).map(Number);
  const logits = r.results[0]!.logits;
  out.push({
    model: c.name,
    kvType: c.kvType,
    flashAttention,
    contextSize: CONTEXT,
    swaFull: true,
    kvSizeMiB: kvMiB,
    kvLog: r.kvLog,
    llamaContext: r.context,
    positions,
    logits: positions.map((p) => logits[p]!.map((v) => Math.round(v * DIGITS) / DIGITS)),
  });
  console.error(`${c.name} ${c.kvType}: done`);
}
rmSync(work, { recursive: true, force: true });

writeFileSync(
  outPath,
  JSON.stringify({
    generator: "scripts/ref/kv-types-golden.ts",
    versions: { "node-llama-cpp": packageVersion("node-llama-cpp"), llamaCpp: release },
    ids,
    synthetic: { spec: KV_SYNTHETIC_SPEC, sha256: syntheticSha },
    cases: out,
  }) + "\n",
);
console.error(`wrote ${outPath}`);
