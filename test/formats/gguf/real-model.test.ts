// Our reader on the real Gemma 3 270M Q4_K_M file against @huggingface/gguf, an independent reader.
import assert from "node:assert/strict";
import { test } from "node:test";
import { gguf } from "@huggingface/gguf";
import { GgufValueType } from "../../../src/formats/gguf/index.js";
import { openGgufPath } from "../../../src/platform/node/gguf-files.js";
import { defaultModelPath } from "../../helpers/model.js";
import { hfShape } from "./helpers.js";

test("real model: every key, value and tensor info equals @huggingface/gguf's parse", async () => {
  const MODEL = await defaultModelPath();
  const ref = await gguf(MODEL, { allowLocalFile: true, typedMetadata: true });
  const f = await openGgufPath(MODEL);
  try {
    assert.equal(f.version, ref.typedMetadata.version.value);
    const refKeys = Object.keys(ref.typedMetadata).filter((k) => !["version", "tensor_count", "kv_count"].includes(k));
    assert.deepEqual([...f.metadata.keys()], refKeys);
    assert.equal(BigInt(refKeys.length), ref.typedMetadata.kv_count.value);
    for (const key of refKeys) {
      const theirs = (ref.typedMetadata as Record<string, { type: number; subType?: number; value: unknown }>)[key]!;
      const mine = f.metadata.entry(key)!;
      assert.equal(mine.type, theirs.type, key);
      if (mine.type === GgufValueType.ARRAY) assert.equal(mine.value.itemType, theirs.subType, key);
      assert.deepEqual(hfShape(mine), theirs.value, key);
    }
    assert.equal(f.dataOffset, Number(ref.tensorDataOffset));
    assert.deepEqual(
      f.tensors.map((x) => ({ name: x.name, dims: x.dims, type: x.type, offset: x.offset })),
      ref.tensorInfos.map((x) => ({
        name: x.name,
        dims: x.shape.map(Number),
        type: x.dtype as number,
        offset: Number(ref.tensorDataOffset + x.offset),
      })),
    );
    assert.equal(f.tensors.length, 236);
    const last = f.tensors.reduce((a, b) => (a.offset > b.offset ? a : b));
    assert.ok(last.offset + last.byteSize <= last.source.size);
  } finally {
    await f.close();
  }
});
