import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { GemmaModel } from "../../src/api/model.js";
import { Embedder } from "../../src/engine/embed.js";
import { ggufValue } from "../../src/formats/gguf/index.js";
import { GgufMetadataMap } from "../../src/formats/gguf/metadata.js";
import { configFromGguf } from "../../src/model/gguf-config.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import type { Backend } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { isGemmaError } from "../../src/util/errors.js";

/**
 * EmbeddingGemma on a tiny random model (scripts/ref/model-embedding-tiny.py): token ids against llama.cpp's,
 * vectors against transformers' Gemma3TextModel + mean pooling + Dense + Normalize (fp32, exact GELU) and against
 * llama.cpp's getEmbeddingFor (flash attention off; here with ggml's fp16 GELU emulated). Bounds follow
 * conventions.md, on unit vectors: transformers fp32 1e-4 x the largest component; llama.cpp with fp16 GELU 1e-4,
 * without 5e-3; and a cosine of at least 0.9999 against every reference.
 */
interface Case {
  readonly text: string;
  readonly ids: number[];
  readonly llamaRaw: number[];
  readonly llama: number[];
  readonly transformers: number[];
}
const golden = JSON.parse(readFileSync("test/golden/model/embedding-tiny.json", "utf8")) as { fixture: { gguf: string }; cases: Case[] };
const TINY_GEMMA3 = "test/fixtures/tiny/gemma3.gguf";

async function load(path: string, backend?: Backend) {
  const file = await openGgufPath(path);
  try {
    return await loadGgufModel(file, { backend });
  } finally {
    await file.close();
  }
}

function compare(ours: Float32Array, ref: readonly number[]): { maxAbs: number; cosine: number; maxRef: number } {
  assert.equal(ours.length, ref.length);
  let maxAbs = 0;
  let dot = 0;
  let nOurs = 0;
  let nRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ours[i]! - ref[i]!));
    dot += ours[i]! * ref[i]!;
    nOurs += ours[i]! * ours[i]!;
    nRef += ref[i]! * ref[i]!;
  }
  return { maxAbs, cosine: dot / Math.sqrt(nOurs * nRef), maxRef: Math.max(...ref.map(Math.abs)) };
}

describe("EmbeddingGemma (tiny random model)", () => {
  it("reads the gemma-embedding GGUF: bidirectional, mean pooling, two dense projections", async () => {
    const model = await load(golden.fixture.gguf);
    assert.equal(model.config.architecture, "gemma-embedding");
    assert.equal(model.config.bidirectional, true);
    assert.equal(model.config.pooling, "mean");
    assert.deepEqual(model.weights.dense.map((m) => [m.rows, m.cols]), [[128, 64], [64, 128]]);
    assert.deepEqual(model.config.layers.map((l) => l.window), [8, 8, 8, 8, 8, 0]);
  });

  it("reads pooling_type as llama.cpp's llama_pooling_type ids; none when absent, rank refused", async () => {
    const file = await openGgufPath(golden.fixture.gguf);
    const entries = new Map(file.metadata.entries());
    await file.close();
    const config = (pooling: number | undefined) => {
      const m = new Map(entries);
      if (pooling === undefined) m.delete("gemma-embedding.pooling_type");
      else m.set("gemma-embedding.pooling_type", ggufValue.u32(pooling));
      return configFromGguf(new GgufMetadataMap("test.gguf", m, new Map()), 298);
    };
    assert.deepEqual([undefined, 0, 1, 2, 3].map((p) => config(p).pooling), ["none", "none", "mean", "cls", "last"]);
    assert.throws(() => config(4), (e: unknown) => isGemmaError(e) && e.code === "MODEL_BAD_CONFIG" && /pooling_type is 4/.test(e.message));
  });

  for (const backend of ["ref", "wasm"] as const) {
    it(`${backend} kernels: ids as llama.cpp, vectors within bounds of transformers and llama.cpp`, async () => {
      const model = new GemmaModel(await load(golden.fixture.gguf, backend), { contextSize: 128 });
      const fp16 = new Embedder(model.model, { contextSize: 128, fp16Gelu: true });
      for (const c of golden.cases) {
        const ids = model.embeddingTokens(c.text);
        assert.deepEqual(ids, c.ids, `ids of ${JSON.stringify(c.text)}`);
        const v = model.embed(c.text);
        const hf = compare(v, c.transformers);
        assert.ok(hf.maxAbs <= 1e-4 * hf.maxRef && hf.cosine >= 0.9999, `${JSON.stringify(c.text)} vs transformers: ${JSON.stringify(hf)}`);
        const plain = compare(v, c.llama);
        assert.ok(plain.maxAbs <= 5e-3 && plain.cosine >= 0.9999, `${JSON.stringify(c.text)} vs llama.cpp: ${JSON.stringify(plain)}`);
        const tight = compare(fp16.embed(ids), c.llama);
        assert.ok(tight.maxAbs <= 1e-4 && tight.cosine >= 0.9999, `${JSON.stringify(c.text)} vs llama.cpp, fp16 GELU: ${JSON.stringify(tight)}`);
        // llama.cpp's own vector is not normalized: normalize: false is the same vector before the last step
        const raw = compare(fp16.embed(ids, { normalize: false }), c.llamaRaw);
        assert.ok(raw.maxAbs <= 1e-4 * raw.maxRef, `${JSON.stringify(c.text)} unnormalized: ${JSON.stringify(raw)}`);
        // Matryoshka truncation: llama.cpp's first 16 components, normalized
        const head = c.llamaRaw.slice(0, 16);
        const short = compare(fp16.embed(ids, { dimensions: 16 }), head.map((x) => x / Math.hypot(...head)));
        assert.ok(short.maxAbs <= 1e-4 && short.cosine >= 0.9999, `${JSON.stringify(c.text)} first 16: ${JSON.stringify(short)}`);
      }
    });
  }

  it("embeds a batch as each input alone, texts and ids alike", async () => {
    const model = new GemmaModel(await load(golden.fixture.gguf), { contextSize: 128 });
    const [a, b] = golden.cases;
    const batch = model.embed([a!.text, b!.ids]);
    assert.equal(batch.length, 2);
    assert.deepEqual(batch[0], model.embed(a!.text));
    assert.deepEqual(batch[1], model.embed(b!.text));
    assert.ok(Math.abs(Math.hypot(...batch[0]!) - 1) < 1e-6);
  });

  it("refuses inputs it cannot embed, and models that are not embedding models", async () => {
    const model = new GemmaModel(await load(golden.fixture.gguf), { contextSize: 16 });
    assert.throws(() => model.embed([]), (e: unknown) => isGemmaError(e) && e.code === "BAD_PROMPT");
    assert.throws(() => model.embed("hello ".repeat(40)), (e: unknown) => isGemmaError(e) && e.code === "CONTEXT_OVERFLOW");
    assert.throws(() => model.embed([2, "x"] as unknown as string[]), (e: unknown) => isGemmaError(e) && e.code === "BAD_PROMPT");
    const generator = new GemmaModel(await load(TINY_GEMMA3));
    assert.equal(generator.isEmbeddingModel, false);
    assert.throws(() => generator.embed("hello"), (e: unknown) => isGemmaError(e) && e.code === "MODEL_NOT_EMBEDDING" && /not an embedding model/.test(e.message));
  });
});
