import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ggufValue } from "../../src/formats/gguf/index.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { defaultModelPath } from "../helpers/model.js";

/**
 * The embedding path at real scale, against llama.cpp run live: no EmbeddingGemma weights are reachable here, so
 * the default model (Gemma 3 270M Q4_K_M: 18 layers, head size 256, window 512) is relabelled as architecture
 * gemma-embedding with mean pooling (the same tensors; llama.cpp then runs it bidirectionally with a symmetric
 * window of +-256). Inputs of 3 to ~570 tokens; the longest spans more than one window. Our vectors are compared
 * with node-llama-cpp's getEmbeddingFor (flash attention off, normalized here).
 * - Q4_K_M: a cosine of 0.99 and conventions.md's 0.05 per component. This model is chaotic under int8 activation
 *   roundings (see test/model/real-270m.test.ts): llama.cpp's own Q4_K_M vector for "hello world" has a cosine of
 *   only 0.9986 with its F32 vector, and ours differs from llama.cpp's by about as much (0.998, measured).
 * - F32 (the same model unquantized, where a local copy exists at F32_270M): a cosine of 0.9999 and 1e-3 per
 *   component (measured: cosine >= 0.9999999, max |diff| 1.4e-4).
 * About two minutes per file.
 */
const dir = mkdtempSync(join(tmpdir(), "gemma-embedding-270m-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const F32_270M = "/root/models/gemma-3-270m-f32.gguf";

const TEXTS = [
  "hello world",
  "EmbeddingGemma turns text into vectors for search and retrieval.",
  Array(30).fill("The quick brown fox jumps over the lazy dog while the model reads every token of this sentence.").join(" "),
];

async function relabel(src: string, dst: string): Promise<void> {
  const file = await openGgufPath(src);
  try {
    const meta = [...file.metadata.entries()].map(([k, v]) => [k.startsWith("gemma3.") ? "gemma-embedding." + k.slice(7) : k, v] as const);
    const entries = meta.map(([k, v]) => (k === "general.architecture" ? ([k, ggufValue.string("gemma-embedding")] as const) : ([k, v] as const)));
    entries.push(["gemma-embedding.pooling_type", ggufValue.u32(1)]);
    await writeGgufPath(
      dst,
      entries,
      file.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: () => file.readTensor(t) })),
    );
  } finally {
    await file.close();
  }
}

async function compareWithLlama(source: string, bounds: { readonly cosine: number; readonly maxAbs: number }): Promise<void> {
  const gguf = join(dir, "gemma3-270m-as-embedding.gguf");
  await relabel(source, gguf);
  const job = join(dir, "job.json");
  const result = join(dir, "result.json");
  writeFileSync(job, JSON.stringify({ model: gguf, context: { contextSize: 1024, batchSize: 1024, threads: 2 }, inputs: TEXTS }));
  const run = spawnSync(process.execPath, ["scripts/ref/llama-embed-worker.mjs", job, result], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const ref = JSON.parse(readFileSync(result, "utf8")) as { results: { ids: number[]; vector: number[] }[] };

  const model = await loadModel(gguf, { threads: 2, contextSize: 1024 });
  for (const [i, text] of TEXTS.entries()) {
    const ids = model.embeddingTokens(text);
    assert.deepEqual(ids, ref.results[i]!.ids);
    const v = model.embed(ids);
    const r = ref.results[i]!.vector;
    const norm = Math.hypot(...r);
    let dot = 0;
    let maxAbs = 0;
    for (let j = 0; j < r.length; j++) {
      dot += v[j]! * (r[j]! / norm);
      maxAbs = Math.max(maxAbs, Math.abs(v[j]! - r[j]! / norm));
    }
    console.log(`${ids.length} tokens: cosine ${dot.toFixed(9)}, max |diff| ${maxAbs.toExponential(2)}`);
    assert.ok(dot >= bounds.cosine && maxAbs <= bounds.maxAbs, `${ids.length} tokens: cosine ${dot}, max |diff| ${maxAbs}`);
  }
  rmSync(gguf);
}

test("a relabelled Gemma 3 270M Q4_K_M embeds as llama.cpp does, within its quantization noise", { timeout: 600_000 }, async () => {
  await compareWithLlama(await defaultModelPath(), { cosine: 0.99, maxAbs: 0.05 });
});

test("a relabelled Gemma 3 270M F32 embeds as llama.cpp does", { timeout: 600_000, skip: !existsSync(F32_270M) && `no ${F32_270M}` }, async () => {
  await compareWithLlama(F32_270M, { cosine: 0.9999, maxAbs: 1e-3 });
});
