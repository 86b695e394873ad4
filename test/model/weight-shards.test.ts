import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { measureKernels } from "../../src/cli/commands/bench-kernels.js";
import { Context } from "../../src/engine/context.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import type { Backend, LoadOptions, Model } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import { threadedBackend } from "../../src/platform/node/model-file.js";
import { GgmlType, typeName } from "../../src/quant/types.js";
import { writeSyntheticGemma3 } from "../helpers/synthetic-gguf.js";

/**
 * Weights spread over several WebAssembly memories (model/weight-placement.ts), exercised on the tiny fixtures by
 * lowering the limits: the logits must be the same bits as with one memory, and match llama.cpp's as the
 * single-memory path does (test/model/tiny-models.test.ts has the tolerances; the large-model test runs a real
 * multi-GiB file).
 */
const golden = JSON.parse(readFileSync("test/golden/model/tiny-gemma3.json", "utf8")) as { ids: number[]; llama: { logits: number[][] } };

async function loadTiny(opts: LoadOptions): Promise<Model> {
  const file = await openGgufPath("test/fixtures/tiny/gemma3.gguf");
  try {
    return await loadGgufModel(file, opts);
  } finally {
    await file.close();
  }
}

function logits(model: Model, batchSize: number): Float32Array[] {
  const ctx = new Context(model, { contextSize: 64, batchSize });
  const rows: Float32Array[] = [];
  ctx.evaluate(golden.ids, { logits: "all", onLogits: (i, l) => (rows[i] = l.slice()) });
  return rows;
}

// About two layers per shard: every layer's products cross arenas, and the embedding has a shard of its own.
const SMALL = { single: 0, shard: 100_000 };

for (const [name, backend] of [["reference", "ref"], ["WebAssembly", "wasm"], ["2-thread pool", threadedBackend(2)]] as [string, Backend][]) {
  test(`${name} kernels: a model spread over several memories gives the same logits as in one`, async () => {
    const one = await loadTiny({ backend });
    const spread = await loadTiny({ backend, arenaLimits: SMALL });
    assert.equal(one.shards?.length ?? 0, 0);
    assert.ok(spread.shards!.length >= 3, `${spread.shards!.length} shards`);
    for (const l of spread.weights.layers) {
      const homes = new Set([l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown].map((m) => m.shard));
      assert.ok(homes.size === 1 && !homes.has(undefined), "each layer lies whole in one shard");
    }
    for (const batchSize of [64, 3]) {
      const a = logits(one, batchSize);
      const b = logits(spread, batchSize);
      a.forEach((row, i) => assert.deepEqual(b[i], row, `position ${i}, batch ${batchSize}`));
    }
    let diff = 0;
    logits(spread, 64).forEach((row, i) => row.forEach((v, j) => (diff = Math.max(diff, Math.abs(v - golden.llama.logits[i]![j]!)))));
    assert.ok(diff <= 5e-3, `max |Δ| from llama.cpp ${diff}`);
  });
}

test("Q8_0 weights: activations encoded in each shard give the same logits as in one memory", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-shards-"));
  try {
    const path = join(dir, "q8.gguf");
    const spec = { dModel: 256, dFfn: 512, nHeads: 2, nKvHeads: 1, headDim: 128, nLayers: 3, type: GgmlType.Q8_0, seed: 3 };
    await writeSyntheticGemma3(path, spec);
    const load = async (opts: LoadOptions) => {
      const file = await openGgufPath(path);
      try {
        return await loadGgufModel(file, opts);
      } finally {
        await file.close();
      }
    };
    const one = await load({ backend: "wasm" });
    const spread = await load({ backend: "wasm", arenaLimits: { single: 0, shard: 600_000 } });
    assert.ok(spread.shards!.length >= 3, `${spread.shards!.length} shards`);
    const a = logits(one, 8);
    logits(spread, 8).forEach((row, i) => assert.deepEqual(row, a[i]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a Hugging Face folder spreads the same way", async () => {
  const tokenizer = (await loadTiny({ backend: "ref" })).tokenizer;
  const folder = await openHfFolderPath("test/fixtures/tiny/gemma3");
  try {
    const one = await loadHfModel(folder, { backend: "wasm", tokenizer });
    const spread = await loadHfModel(folder, { backend: "wasm", tokenizer, arenaLimits: SMALL });
    assert.ok(spread.shards!.length >= 3);
    const a = logits(one, 8);
    logits(spread, 8).forEach((row, i) => assert.deepEqual(row, a[i]));
  } finally {
    await folder.close();
  }
});

test("a matrix larger than a shard is a clear error", async () => {
  await assert.rejects(loadTiny({ backend: "ref", arenaLimits: { single: 0, shard: 1000 } }), /larger than one WebAssembly memory's share/);
});

test("bench --kernels times every matrix in the memory that holds it: the same types, counts and bytes as the file's", async () => {
  const file = await openGgufPath("test/fixtures/tiny/gemma3.gguf");
  const expected = new Map<string, { matrices: number; bytes: number }>();
  try {
    for (const t of file.tensors.filter((t) => t.dims.length === 2)) {
      const e = expected.get(typeName(t.type)) ?? { matrices: 0, bytes: 0 };
      expected.set(typeName(t.type), { matrices: e.matrices + 1, bytes: e.bytes + t.byteSize });
    }
  } finally {
    await file.close();
  }
  for (const limits of [undefined, SMALL]) {
    const model = await loadTiny({ backend: "wasm", arenaLimits: limits });
    const measured = new Map(measureKernels(model).map((k) => [k.type, { matrices: k.matrices, bytes: k.bytes }]));
    assert.deepEqual(measured, expected, limits ? "spread over shards" : "one memory");
  }
});
