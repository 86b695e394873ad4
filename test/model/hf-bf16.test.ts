import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Context } from "../../src/engine/context.js";
import { openHfFolder } from "../../src/formats/hf/folder.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import { GgmlType } from "../../src/quant/types.js";
import { openFileSource } from "../../src/platform/node/file-source.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";
import type { ByteSource } from "../../src/util/byte-source.js";

/**
 * A BF16 Gemma 3 multimodal folder in the layout of Google's checkpoints (scripts/ref/model-hf-bf16.py): partial
 * text_config, language_model.* names, vision tensors, an embedding padded past its tokenizer.json. Compared with
 * transformers' Gemma3ForConditionalGeneration in float32 on the same BF16 weights.
 */
interface Bf16Golden {
  fixture: { hf: string };
  tokenizerSize: number;
  embeddingRows: number;
  agreement: { maxAbsLogit: number; bf16ActivationEffect: number; bf16EmulationFp32VsFp64PerPosition: number[] };
  ids: number[];
  plain: number[][];
  bf16Activations: number[][];
}

const golden = JSON.parse(readFileSync("test/golden/model/hf-gemma3-mm-bf16.json", "utf8")) as Bf16Golden;

async function logitsOf(batchSize: number): Promise<Float32Array[]> {
  const folder = await openHfFolderPath(golden.fixture.hf);
  const model = await loadHfModel(folder);
  await folder.close();
  const out: Float32Array[] = [];
  new Context(model, { contextSize: 64, batchSize }).evaluate(golden.ids, { logits: "all", onLogits: (t, l) => (out[t] = l.slice()) });
  return out;
}

function maxDiff(ours: Float32Array[], ref: number[][]): number {
  let diff = 0;
  ref.forEach((row, t) => {
    assert.equal(ours[t]!.length, row.length);
    row.forEach((v, i) => (diff = Math.max(diff, Math.abs(ours[t]![i]! - v))));
  });
  return diff;
}

test("BF16 weights with BF16-rounded activations (ggml's pairing) match transformers doing the same", async () => {
  // Rounding to bf16 is discontinuous: an f32 input a few ulps away from transformers' can round to the
  // neighbouring bf16 value, and through the KV cache that flip moves every later position. The generator measures
  // how far transformers' own float32 and float64 runs of the emulation part for that reason (per position).
  // Before its first such flip both must agree to 1e-4 x max|logit|; after it, within twice its largest parting.
  const { maxAbsLogit, bf16EmulationFp32VsFp64PerPosition: flips } = golden.agreement;
  const firstFlip = flips.findIndex((d) => d > 1e-5 * maxAbsLogit);
  assert.ok(firstFlip > 0);
  for (const batch of [1, 5]) {
    const ours = await logitsOf(batch);
    const stable = maxDiff(ours.slice(0, firstFlip), golden.bf16Activations.slice(0, firstFlip));
    assert.ok(stable <= 1e-4 * maxAbsLogit, `batch ${batch}, positions < ${firstFlip}: max |Δ| ${stable}`);
    const all = maxDiff(ours, golden.bf16Activations);
    const bound = 2 * Math.max(...flips) + 1e-4 * maxAbsLogit;
    assert.ok(all <= bound, `batch ${batch}: max |Δ| ${all} vs bound ${bound}`);
  }
});

test("BF16 weights vs transformers float32: off by no more than BF16 activation rounding itself moves the logits", async () => {
  // BF16 keeps 8 significant bits, so rounding every matmul input moves these logits by ~0.3% of their range
  // (agreement.bf16ActivationEffect, measured by the generator); 1e-4 x max|logit| is only honest against the
  // emulation above. Here: within that effect plus the 1e-4 bound.
  const diff = maxDiff(await logitsOf(4), golden.plain);
  const bound = golden.agreement.bf16ActivationEffect + 1e-4 * golden.agreement.maxAbsLogit;
  assert.ok(diff <= bound, `max |Δ| ${diff} vs bound ${bound}`);
});

test("multimodal layout loads as the text model: BF16 kept, vocabulary trimmed to the tokenizer, vision and padding never read", async () => {
  const reads: [string, number, number][] = [];
  const dir = golden.fixture.hf;
  const folder = await openHfFolder(async (rel) => {
    const inner = await openFileSource(join(dir, rel));
    const counted: ByteSource = {
      name: inner.name,
      size: inner.size,
      read: (offset, length) => {
        reads.push([rel, offset, length]);
        return inner.read(offset, length);
      },
      close: () => inner.close(),
    };
    return counted;
  });
  const headerReads = reads.length;
  const model = await loadHfModel(folder);
  await folder.close();

  assert.equal(model.tokenizer.vocabSize, golden.tokenizerSize);
  assert.equal(model.config.vocabSize, golden.tokenizerSize);
  assert.equal(model.config.architecture, "gemma3");
  assert.equal(model.info.format, "safetensors");
  assert.ok(model.info.chatTemplate?.includes("<start_of_turn>"));
  const emb = model.weights.tokenEmbedding;
  assert.equal(emb.type, GgmlType.BF16);
  assert.equal(emb.rows, golden.tokenizerSize);
  assert.equal(model.weights.output, emb);
  for (const l of model.weights.layers) assert.ok([l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown].every((m) => m.type === GgmlType.BF16));

  assert.ok(folder.skipped.length > 0 && folder.skipped.every((t) => /^(vision_tower|multi_modal_projector)\./.test(t.name)));
  const embInfo = folder.tensor("model.embed_tokens.weight")!;
  assert.equal(embInfo.storedName, "language_model.model.embed_tokens.weight");
  const forbidden = [
    ...folder.skipped.map((t) => [t.offset, t.offset + t.byteSize] as const),
    [embInfo.offset + golden.tokenizerSize * emb.rowBytes, embInfo.offset + embInfo.byteSize] as const,
  ];
  assert.ok(reads.slice(headerReads).some(([file]) => file === "model.safetensors"));
  for (const [file, offset, length] of reads.slice(headerReads)) {
    if (file !== "model.safetensors") continue;
    for (const [lo, hi] of forbidden) assert.ok(offset + length <= lo || offset >= hi, `read [${offset}, ${offset + length}) overlaps [${lo}, ${hi})`);
  }
});
