import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { loadModel } from "../../src/platform/node/model-file.js";
import { GgmlType } from "../../src/quant/types.js";
import { syntheticWeightBytes, writeSyntheticGemma3, type SyntheticSpec } from "../helpers/synthetic-gguf.js";

/**
 * A model larger than one WebAssembly memory (4 GiB): a random-weight F32 Gemma 3 of 4.03 GiB written to a temporary
 * file with our GGUF writer, loaded (its weights spread over several memories, model/weight-placement.ts) and run on
 * a few tokens, a batch and then single steps, against llama.cpp on the same file (node-llama-cpp, CPU, in a child
 * process). F32 weights keep the comparison sharp: the F32-GGUF tolerance of conventions.md (5e-3), with ggml's f16
 * GELU emulated. About 2 minutes and 6 GB of memory on a 2-core machine, mostly writing the file.
 */
const LARGE: SyntheticSpec = { dModel: 4096, dFfn: 17920, nHeads: 16, nKvHeads: 8, headDim: 256, nLayers: 4, type: GgmlType.F32, seed: 4 };
const IDS = [2, 10, 20, 30, 40, 50, 60, 70];
const PREFILL = 6;

/** llama.cpp's logits at every position of `ids` (scripts/ref/llama-worker.mjs in a child process). */
function llamaLogits(model: string, dir: string): number[][] {
  const job = join(dir, "job.json");
  const result = join(dir, "result.json");
  writeFileSync(job, JSON.stringify({ model, context: { contextSize: 256, batchSize: 64, threads: 2 }, tasks: [{ kind: "fullLogits", ids: IDS }] }));
  execFileSync(process.execPath, ["scripts/ref/llama-worker.mjs", job, result], { stdio: ["ignore", "ignore", "inherit"] });
  return (JSON.parse(readFileSync(result, "utf8")) as { results: { logits: number[][] }[] }).results[0]!.logits;
}

test("a model over 4 GiB loads across several WebAssembly memories and matches llama.cpp", { timeout: 15 * 60_000 }, async (t) => {
  assert.ok(syntheticWeightBytes(LARGE) > 2 ** 32);
  const dir = mkdtempSync(join(tmpdir(), "gemma-large-"));
  const path = join(dir, "large.gguf");
  try {
    let start = performance.now();
    await writeSyntheticGemma3(path, LARGE);
    assert.ok(statSync(path).size > 2 ** 32, "the file is over 4 GiB");
    const writeS = (performance.now() - start) / 1000;

    start = performance.now();
    const ref = llamaLogits(path, dir);
    const llamaS = (performance.now() - start) / 1000;

    start = performance.now();
    const model = await loadModel(path, { threads: 2 });
    const loadS = (performance.now() - start) / 1000;
    const arenas = [model.arena, ...(model.shards ?? []).map((s) => s.arena)];
    assert.ok(arenas.length >= 3, `${arenas.length} memories`);
    for (const a of arenas) assert.ok(a.memory.buffer.byteLength <= 2 ** 32);

    start = performance.now();
    const ctx = new Context(model, { contextSize: 64, fp16Gelu: true });
    let diff = 0;
    let maxAbs = 0;
    const onLogits = (offset: number) => (i: number, l: Float32Array) => {
      const row = ref[offset + i]!;
      for (let j = 0; j < row.length; j++) {
        diff = Math.max(diff, Math.abs(l[j]! - row[j]!));
        maxAbs = Math.max(maxAbs, Math.abs(row[j]!));
      }
    };
    ctx.evaluate(IDS.slice(0, PREFILL), { logits: "all", onLogits: onLogits(0) });
    for (let p = PREFILL; p < IDS.length; p++) ctx.evaluate([IDS[p]!], { logits: "all", onLogits: onLogits(p) });
    const evalS = (performance.now() - start) / 1000;
    const hwm = /VmHWM:\s*(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    t.diagnostic(
      `file ${(statSync(path).size / 2 ** 30).toFixed(2)} GiB in ${arenas.length} memories; write ${writeS.toFixed(0)} s, llama.cpp ${llamaS.toFixed(0)} s, ` +
        `load ${loadS.toFixed(0)} s, ${IDS.length} tokens ${evalS.toFixed(0)} s; max |Δ| ${diff.toExponential(2)} (max |logit| ${maxAbs.toFixed(1)}); ` +
        `peak RSS ${hwm ? (Number(hwm) / 2 ** 20).toFixed(1) : "?"} GiB`,
    );
    assert.ok(diff <= 5e-3, `max |Δ| ${diff}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
