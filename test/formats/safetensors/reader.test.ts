// The reader against files written by the official Python `safetensors` package and what its
// safe_open reports about them (test/golden/safetensors/expected.json, from scripts/ref/safetensors-fixtures.py).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { GgmlType } from "../../../src/quant/types.js";
import { computeTypeOf, ggmlTypeOfDtype } from "../../../src/formats/safetensors/dtypes.js";
import { readSafetensors } from "../../../src/formats/safetensors/file.js";
import { openShardedSafetensors } from "../../../src/formats/safetensors/sharded.js";
import type { SafetensorsCollection } from "../../../src/formats/safetensors/types.js";
import { bf16ToF32, f16ToF32 } from "../../../src/util/half.js";
import { GOLDEN, countingSource, golden, memoryOpener } from "./helpers.js";

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  sha256: string;
  values?: number[];
}
interface ExpectedFile {
  metadata: Record<string, string> | null;
  tensors: Record<string, ExpectedTensor>;
}
const expected = JSON.parse(readFileSync(join(GOLDEN, "expected.json"), "utf8")) as { files: Record<string, ExpectedFile> };

/** Elements as numbers, decoded independently of the reader (DataView and src/util/half.ts). */
function decode(dtype: string, bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  const width = { F32: 4, F16: 2, BF16: 2, I32: 4, U8: 1 }[dtype];
  assert.ok(width, `test cannot decode ${dtype}`);
  for (let i = 0; i < bytes.length; i += width) {
    if (dtype === "F32") out.push(view.getFloat32(i, true));
    else if (dtype === "F16") out.push(f16ToF32(view.getUint16(i, true)));
    else if (dtype === "BF16") out.push(bf16ToF32(view.getUint16(i, true)));
    else if (dtype === "I32") out.push(view.getInt32(i, true));
    else out.push(view.getUint8(i));
  }
  return out;
}

async function assertMatches(collection: SafetensorsCollection, files: readonly string[]): Promise<void> {
  const want = new Map(files.flatMap((f) => Object.entries(expected.files[f]!.tensors)));
  assert.deepEqual(new Set(collection.tensors.map((t) => t.name)), new Set(want.keys()));
  for (const info of collection.tensors) {
    const w = want.get(info.name)!;
    assert.equal(info.dtype, w.dtype, info.name);
    assert.deepEqual(info.shape, w.shape, info.name);
    assert.equal(collection.tensor(info.name), info);
    const bytes = await collection.readTensor(info);
    assert.equal(bytes.length, info.byteSize);
    assert.equal(createHash("sha256").update(bytes).digest("hex"), w.sha256, `${info.name} bytes`);
    if (w.values) assert.deepStrictEqual(decode(info.dtype, bytes), w.values, `${info.name} values`);
  }
}

test("single file: names, dtypes, shapes, bytes, values and metadata as safe_open reports them", async () => {
  const source = countingSource("single.safetensors", golden("single.safetensors"));
  const file = await readSafetensors(source);
  // Opening reads the length prefix and the header only.
  assert.deepEqual(source.reads, [
    [0, 8],
    [8, file.dataOffset - 8],
  ]);
  assert.deepEqual(file.metadata, expected.files["single.safetensors"]!.metadata);
  await assertMatches(file, ["single.safetensors"]);
  // Tensors are in file order and tile the data section.
  let at = file.dataOffset;
  for (const t of file.tensors) {
    assert.equal(t.offset, at);
    at += t.byteSize;
  }
  assert.equal(at, source.size);
  await file.close();
});

test("reading one tensor reads only its bytes", async () => {
  const source = countingSource("single.safetensors", golden("single.safetensors"));
  const file = await readSafetensors(source);
  const info = file.tensor("weights.bf16")!;
  const before = source.bytesRequested;
  await file.readTensor(info);
  assert.equal(source.bytesRequested - before, info.byteSize);
  assert.deepEqual(source.reads.at(-1), [info.offset, info.byteSize]);
});

test("dtype → ggml type: F32/F16/BF16 keep their bytes, the rest are refused by name", async () => {
  assert.equal(ggmlTypeOfDtype("F32"), GgmlType.F32);
  assert.equal(ggmlTypeOfDtype("F16"), GgmlType.F16);
  assert.equal(ggmlTypeOfDtype("BF16"), GgmlType.BF16);
  assert.equal(ggmlTypeOfDtype("I32"), undefined);
  const file = await readSafetensors(countingSource("single.safetensors", golden("single.safetensors")));
  assert.equal(computeTypeOf(file.tensor("weights.bf16")!), GgmlType.BF16);
  assert.throws(
    () => computeTypeOf(file.tensor("ids.i32")!),
    (e: Error & { code?: string }) => e.code === "UNSUPPORTED_TENSOR_TYPE" && /single\.safetensors.*"ids\.i32".*I32/.test(e.message),
  );
});

test("sharded checkpoint through its index: every tensor of both shards, as safe_open reports them", async () => {
  const dir = "sharded";
  const names = ["model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
  const files = new Map(names.map((n) => [n, golden(`${dir}/${n}`)]));
  const index = countingSource(names[0]!, files.get(names[0]!)!);
  const opened: ReturnType<typeof countingSource>[] = [];
  const sharded = await openShardedSafetensors(index, memoryOpener(files, opened));
  assert.deepEqual(sharded.shardPaths, names.slice(1));
  const indexJson = JSON.parse(new TextDecoder().decode(files.get(names[0]!)));
  assert.equal(sharded.declaredTotalSize, indexJson.metadata.total_size);
  assert.equal(
    sharded.tensors.reduce((s, t) => s + t.byteSize, 0),
    indexJson.metadata.total_size,
  );
  await assertMatches(sharded, names.slice(1).map((n) => `${dir}/${n}`));
  for (const t of sharded.tensors) assert.equal(t.source.name, indexJson.weight_map[t.name]);
  await sharded.close();
});
