import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { GemmaModel } from "../../src/api/model.js";
import { Embedder } from "../../src/engine/embed.js";
import { planHfToGguf } from "../../src/model/convert/hf-to-gguf.js";
import type { ConvertType } from "../../src/model/convert/tensor-types.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";

/**
 * `gemma convert` of the tiny Hugging Face EmbeddingGemma folder (sentence-transformers modules; scripts/ref/
 * model-embedding-hf-tiny.py) to GGUF. llama.cpp (node-llama-cpp in a child process, scripts/ref/llama-embed-worker.mjs,
 * flash attention off) loads the file as gemma-embedding with mean pooling and both Dense projections, and:
 * - its ids are the folder's (BOS + text + EOS);
 * - its vector (not normalized) equals our engine's on the same file, ggml's fp16 GELU emulated: F32 within
 *   1e-4 x the largest component (conventions.md's llama.cpp bound with fp16 GELU; measured 6.1e-5). Q8_0 within
 *   2e-2: measured 1e-7 on three of the five inputs (integer dot products) and 1.6e-3 and 9.3e-3 on the other two,
 *   where the f32 differences the F32 file shows (ggml's summation orders: attention, the pooling matmul) flip an
 *   activation's Q8_0 rounding before some product (the same effect as convert.test.ts's F16 / K-quant bound);
 * - normalized, it is within conventions.md's llama.cpp bound (5e-3) of the folder's vectors from transformers
 *   (golden; F32 file, measured 5.0e-5); Q8_0 within 2e-2 (the weights' rounding, measured 6.6e-3);
 * our engine on the F32 file equals our engine on the folder (1e-6).
 */
interface Case {
  readonly text: string;
  readonly ids: number[];
  readonly transformers: number[];
}
const golden = JSON.parse(readFileSync("test/golden/model/embedding-hf-tiny.json", "utf8")) as { fixture: { folder: string }; cases: Case[] };
const FOLDER = golden.fixture.folder;
const CONTEXT = 128;

interface LlamaEmbeddings {
  readonly results: { readonly ids: number[]; readonly vector: number[] }[];
}

const work = mkdtempSync(join(tmpdir(), "gemma-convert-embedding-"));
after(() => rmSync(work, { recursive: true, force: true }));

async function convert(type: ConvertType): Promise<string> {
  const out = join(work, `embedding-${type}.gguf`);
  const hf = await openHfFolderPath(FOLDER);
  try {
    const plan = await planHfToGguf(hf, { type });
    await writeGgufPath(out, plan.metadata, plan.tensors);
  } finally {
    await hf.close();
  }
  return out;
}

async function runLlama(model: string): Promise<LlamaEmbeddings> {
  const job = `${model}.job.json`;
  const result = `${job}.result.json`;
  writeFileSync(job, JSON.stringify({ model, context: { contextSize: CONTEXT, batchSize: CONTEXT, threads: 1 }, inputs: golden.cases.map((c) => c.ids) }));
  await promisify(execFile)(process.execPath, ["scripts/ref/llama-embed-worker.mjs", job, result], { timeout: 120_000 });
  return JSON.parse(readFileSync(result, "utf8")) as LlamaEmbeddings;
}

async function loadGguf(path: string) {
  const file = await openGgufPath(path);
  try {
    return await loadGgufModel(file);
  } finally {
    await file.close();
  }
}

async function loadFolder() {
  const folder = await openHfFolderPath(FOLDER);
  try {
    return await loadHfModel(folder);
  } finally {
    await folder.close();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const maxAbs = (v: ArrayLike<number>) => Array.from(v).reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const unit = (v: readonly number[]) => v.map((x) => x / Math.hypot(...v));

describe("gemma convert: EmbeddingGemma folder -> gemma-embedding GGUF", () => {
  const files = new Map<ConvertType, string>();
  before(async () => {
    for (const type of ["f32", "q8_0"] as const) files.set(type, await convert(type));
  });

  it("writes llama.cpp's architecture, pooling key, dense keys and dense tensors", async () => {
    const file = await openGgufPath(files.get("f32")!);
    try {
      const m = file.metadata;
      assert.equal(m.optionalString("general.architecture"), "gemma-embedding");
      assert.equal(m.optionalNumber("gemma-embedding.pooling_type"), 1);
      const feats = ["dense_2_feat_in", "dense_2_feat_out", "dense_3_feat_in", "dense_3_feat_out"].map((k) => m.optionalNumber(`gemma-embedding.${k}`));
      assert.deepEqual(feats, [64, 128, 128, 64]);
      assert.deepEqual(file.tensor("dense_2.weight")?.dims, [64, 128]);
      assert.deepEqual(file.tensor("dense_3.weight")?.dims, [128, 64]);
      assert.equal(m.optionalBool("tokenizer.ggml.add_eos_token"), true);
    } finally {
      await file.close();
    }
  });

  for (const [type, sameFileBound, folderBound] of [["f32", 1e-4, 5e-3], ["q8_0", 2e-2, 2e-2]] as const) {
    it(`${type}: llama.cpp embeds as our engine on the file and near the folder's vectors`, async () => {
      const path = files.get(type)!;
      const llama = await runLlama(path);
      const model = new GemmaModel(await loadGguf(path), { contextSize: CONTEXT });
      const fp16 = new Embedder(model.model, { contextSize: CONTEXT, fp16Gelu: true });
      const folder = type === "f32" ? new GemmaModel(await loadFolder(), { contextSize: CONTEXT }) : undefined;
      golden.cases.forEach((c, i) => {
        const ref = llama.results[i]!;
        assert.deepEqual(ref.ids, c.ids, `llama.cpp ids of ${JSON.stringify(c.text)}`);
        assert.deepEqual(model.embeddingTokens(c.text), c.ids);
        const same = maxAbsDiff(fp16.embed(c.ids, { normalize: false }), ref.vector);
        assert.ok(same <= sameFileBound * maxAbs(ref.vector), `${type} ${JSON.stringify(c.text)}: ours vs llama.cpp on the file ${same}`);
        const toFolder = maxAbsDiff(unit(ref.vector), c.transformers);
        assert.ok(toFolder <= folderBound, `${type} ${JSON.stringify(c.text)}: llama.cpp vs transformers on the folder ${toFolder}`);
        if (folder) {
          const twin = maxAbsDiff(model.embed(c.text), folder.embed(c.text));
          assert.ok(twin <= 1e-6, `${JSON.stringify(c.text)}: ours on the GGUF vs ours on the folder ${twin}`);
        }
        console.log(`${type} ${c.ids.length} ids: ours-llama ${(same / maxAbs(ref.vector)).toExponential(1)} of the largest component, llama-transformers ${toFolder.toExponential(1)}`);
      });
    });
  }
});
