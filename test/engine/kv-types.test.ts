import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { kvCacheBytes, type KvType } from "../../src/engine/kv-cache.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import type { Model } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { writeSyntheticGemma3 } from "../helpers/synthetic-gguf.js";
import { KV_SYNTHETIC_SPEC } from "./kv-types-spec.js";

/**
 * f16 and q8_0 KV caches against llama.cpp with the same cache type (scripts/ref/kv-types-golden.ts), and the cache's
 * bytes against the size llama.cpp reports. ggml's f16 GELU table is emulated, as in the tiny-model tests, so that
 * only the cache's roundings remain. Tolerances:
 * - f16: the F32-GGUF bound of conventions.md, 5e-3. (Rounding to half makes the result jump where an input crosses
 *   a rounding boundary; an input one f32 ulp away from llama.cpp's, as its SIMD sums give, moves these random tiny
 *   models' logits by up to 2e-3.)
 * - q8_0: 2e-2. A q8_0 level moves a value by 1/127 of its block's largest: perturbing our keys and values by 1e-6
 *   relative before quantization (the size of the f32 differences between the two engines) moves the synthetic
 *   model's logits by up to 1e-2, and the measured difference from llama.cpp is of that size and no larger; a wrong
 *   cache encoding is off by the q8_0-versus-f32 effect, above 1.
 */
interface KvGolden {
  ids: number[];
  synthetic: { sha256: string };
  cases: {
    model: string;
    kvType: KvType;
    contextSize: number;
    kvSizeMiB: number[];
    positions: number[];
    logits: number[][];
  }[];
}

const golden = JSON.parse(readFileSync("test/golden/engine/kv-types.json", "utf8")) as KvGolden;
const work = mkdtempSync(join(tmpdir(), "gemma-kv-types-"));
after(() => rmSync(work, { recursive: true, force: true }));

const models = new Map<string, Promise<Model>>();
function model(name: string): Promise<Model> {
  let m = models.get(name);
  if (!m) {
    m = (async () => {
      let path = `test/fixtures/tiny/${name}.gguf`;
      if (name === "synthetic-hd32") {
        path = join(work, "synthetic-hd32.gguf");
        await writeSyntheticGemma3(path, KV_SYNTHETIC_SPEC);
        const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
        assert.equal(sha, golden.synthetic.sha256, "the synthetic model's bytes differ from the file the golden was made from");
      }
      const file = await openGgufPath(path);
      try {
        return await loadGgufModel(file);
      } finally {
        await file.close();
      }
    })();
    models.set(name, m);
  }
  return m;
}

/** Max and root-mean-square differences from the golden case's logits, with the given cache type. */
function compare(m: Model, c: KvGolden["cases"][number], kvType: KvType, batchSize: number): { max: number; rms: number } {
  const ctx = new Context(m, { contextSize: c.contextSize, swaFull: true, kvType, batchSize, fp16Gelu: true });
  let max = 0;
  let sq = 0;
  let n = 0;
  ctx.evaluate(golden.ids, {
    logits: (i) => c.positions.includes(i),
    onLogits: (i, l) => {
      const ref = c.logits[c.positions.indexOf(i)]!;
      for (let j = 0; j < ref.length; j++) {
        const d = Math.abs(l[j]! - ref[j]!);
        max = Math.max(max, d);
        sq += d * d;
        n++;
      }
    },
  });
  return { max, rms: Math.sqrt(sq / n) };
}

for (const c of golden.cases) {
  test(`${c.model}, ${c.kvType} KV cache: logits as llama.cpp's with the same cache type, KV bytes equal to its reported size`, async () => {
    const m = await model(c.model);
    const bound = c.kvType === "q8_0" ? 2e-2 : 5e-3;
    const results = [64, 5].map((batchSize) => compare(m, c, c.kvType, batchSize));
    for (const r of results) assert.ok(r.max <= bound, `max |Δ| ${r.max} vs bound ${bound}`);
    // The cache's roundings are what brings us to llama.cpp: with an f32 cache we are at least twice as far (RMS).
    const f32 = compare(m, c, "f32", 64);
    assert.ok(results[0]!.rms * 2 <= f32.rms, `RMS |Δ| ${results[0]!.rms} with ${c.kvType}, ${f32.rms} with f32`);
    // llama.cpp prints each cache's size in MiB with two decimals.
    const ours = kvCacheBytes(m.config, { contextSize: c.contextSize, maxBatch: 64, swaFull: true, kvType: c.kvType }) / 2 ** 20;
    const reported = c.kvSizeMiB.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(ours - reported) <= 0.005 * c.kvSizeMiB.length, `ours ${ours} MiB, llama.cpp ${reported} MiB`);
  });
}

test("an f16 cache takes half the bytes of f32, a q8_0 cache 34/128 of them", async () => {
  const m = await model("synthetic-hd32");
  const bytes = (kvType: KvType) => new Context(m, { contextSize: 256, kvType }).kvBytes;
  assert.equal(bytes("f16") * 2, bytes("f32"));
  assert.equal(bytes("q8_0") * 128, bytes("f32") * 34);
});

test("a q8_0 cache on heads not a multiple of 32 wide is a clear error, from the API as from the engine", async () => {
  const m = await model("gemma3");
  assert.throws(() => new Context(m, { kvType: "q8_0" }), (e: Error & { code?: string }) => e.code === "UNSUPPORTED_TENSOR_TYPE" && /head size .* 8/.test(e.message));
  await assert.rejects(loadModel("test/fixtures/tiny/gemma3.gguf", { threads: 1, kvType: "q8_0" }), /multiple of 32/);
  await assert.rejects(loadModel("test/fixtures/tiny/gemma3.gguf", { threads: 1, kvType: "q4_0" as KvType }), /not one of f32, f16, q8_0/);
});

test("the API's kvType reaches the context", async () => {
  const gm = await loadModel("test/fixtures/tiny/gemma3.gguf", { threads: 1, kvType: "f16", contextSize: 64 });
  assert.equal(gm.sequence.ctx.kvType, "f16");
  const result = await gm.generate([2, 5, 6], { maxTokens: 3, temperature: 0 }).finished();
  assert.equal(typeof result.text, "string");
});
