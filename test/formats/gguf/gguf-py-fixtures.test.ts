// Our reader against files written by gguf-py's GGUFWriter and against what gguf-py's GGUFReader
// reports about them (test/golden/gguf/gguf-py-report.json, from scripts/ref/gguf-fixtures.py).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { type GgufFile, openGguf, readGguf } from "../../../src/formats/gguf/index.js";
import { memorySource } from "../../../src/util/byte-source.js";
import { GemmaError } from "../../../src/util/errors.js";
import { GOLDEN_DIR, entryToJson, golden, memoryOpener } from "./helpers.js";

interface Report {
  version: number;
  alignment: number;
  data_offset: number;
  size: number;
  kv: { key: string; type: number; value: unknown }[];
  tensors: { name: string; type: number; dims: number[]; n_elements: number; n_bytes: number; offset: number; sha256: string }[];
}
const report = JSON.parse(readFileSync(join(GOLDEN_DIR, "gguf-py-report.json"), "utf8")) as {
  files: Record<string, Report>;
};

async function assertMatches(f: GgufFile, r: Report): Promise<void> {
  assert.equal(f.version, r.version);
  assert.equal(f.alignment, r.alignment);
  assert.equal(f.dataOffset, r.data_offset);
  assert.deepEqual([...f.metadata.keys()], r.kv.map((e) => e.key));
  for (const e of r.kv) {
    const mine = f.metadata.entry(e.key)!;
    assert.equal(mine.type, e.type, e.key);
    assert.deepEqual(entryToJson(mine), e.value, e.key);
  }
  assert.deepEqual(
    f.tensors.map((t) => ({ name: t.name, type: t.type, dims: t.dims, n_elements: t.nElements, n_bytes: t.byteSize, offset: t.offset })),
    r.tensors.map(({ sha256: _, ...rest }) => rest),
  );
  for (const [i, t] of f.tensors.entries()) {
    const sha = createHash("sha256").update(await f.readTensor(t)).digest("hex");
    assert.equal(sha, r.tensors[i]!.sha256, t.name);
  }
}

for (const name of ["all-types.gguf", "aligned-128.gguf", "v2.gguf"]) {
  test(`reads ${name} as gguf-py reports it`, async () => {
    const f = await readGguf(memorySource(name, golden(name)));
    await assertMatches(f, report.files[name]!);
  });
}

test("typed accessors on gguf-py's values", async () => {
  const { metadata: m } = await readGguf(memorySource("all-types.gguf", golden("all-types.gguf")));
  assert.equal(m.number("t.u32"), 4294967295);
  assert.equal(m.number("t.u64.small"), 12345);
  assert.equal(m.number("t.f32"), Math.fround(3.14159));
  assert.equal(m.string("t.string"), "héllo ▁世界 🎉");
  assert.equal(m.bool("t.bool.true"), true);
  assert.deepEqual(m.stringArray("t.arr.string"), ["", "a", "▁the", "<0x0A>", "🎉 emoji", "\ufeff//", "\ufeff" + "x".repeat(200)]);
  assert.deepEqual([...m.int32Array("t.arr.i16")], [-32768, 32767]);
  assert.deepEqual([...m.float32Array("t.arr.f64")].map((x) => Object.is(x, Math.fround(x))), [true, true, true]);
  assert.deepEqual(m.optionalNumberArray("t.arr.bool"), [1, 0, 1]);
  assert.equal(m.optionalString("absent"), undefined);
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof GemmaError, String(e));
      return e.code;
    }
    return "no error";
  };
  assert.equal(code(() => m.number("absent")), "MODEL_MISSING_KEY");
  assert.equal(code(() => m.string("t.u32")), "GGUF_BAD_VALUE_TYPE");
  assert.equal(code(() => m.number("t.u64")), "GGUF_BAD_VALUE_TYPE"); // 2^64-1 is not exact as a number
  assert.equal(code(() => m.int32Array("t.arr.u32")), "GGUF_BAD_VALUE_TYPE"); // 4294967295 does not fit
  assert.equal(code(() => m.int32Array("t.arr.f32")), "GGUF_BAD_VALUE_TYPE");
  assert.equal(code(() => m.stringArray("t.arr.nested.string")), "GGUF_BAD_VALUE_TYPE");
});

const SPLIT = ["split-00001-of-00003.gguf", "split-00002-of-00003.gguf", "split-00003-of-00003.gguf"];

test("each shard of gguf-py's split set alone matches gguf-py", async () => {
  for (const name of SPLIT) await assertMatches(await readGguf(memorySource(name, golden(name))), report.files[name]!);
});

test("openGguf merges gguf-py's split set", async () => {
  const files = new Map(SPLIT.map((n) => [`dir/${n}`, golden(n)]));
  const f = await openGguf(memoryOpener(files), `dir/${SPLIT[0]}`);
  const expected = SPLIT.flatMap((n) => report.files[n]!.tensors.map((t) => ({ ...t, file: `dir/${n}` })));
  assert.deepEqual(
    f.tensors.map((t) => ({ name: t.name, offset: t.offset, file: t.source.name })),
    expected.map((t) => ({ name: t.name, offset: t.offset, file: t.file })),
  );
  assert.deepEqual([...f.metadata.keys()], report.files[SPLIT[0]!]!.kv.map((e) => e.key));
  for (const [i, t] of f.tensors.entries()) {
    assert.equal(createHash("sha256").update(await f.readTensor(t)).digest("hex"), expected[i]!.sha256);
  }
  await f.close();
});

async function splitError(files: Map<string, Uint8Array>, first: string): Promise<string> {
  try {
    await openGguf(memoryOpener(files), first);
  } catch (e) {
    assert.ok(e instanceof GemmaError, String(e));
    return e.code;
  }
  return "no error";
}

test("openGguf refuses broken split sets", async () => {
  const set = () => new Map(SPLIT.map((n) => [n, golden(n)]));
  // opened at the second shard
  assert.equal(await splitError(set(), SPLIT[1]!), "GGUF_BAD_SPLIT");
  // a shard missing: the opener's own error comes through
  const missing = set();
  missing.delete(SPLIT[2]!);
  await assert.rejects(openGguf(memoryOpener(missing), SPLIT[0]!), /no file/);
  // shards swapped: split.no disagrees with the position
  const swapped = set();
  swapped.set(SPLIT[1]!, golden(SPLIT[2]!));
  swapped.set(SPLIT[2]!, golden(SPLIT[1]!));
  assert.equal(await splitError(swapped, SPLIT[0]!), "GGUF_BAD_SPLIT");
  // renamed so the name no longer says which shard it is
  const renamed = new Map([["model.gguf", golden(SPLIT[0]!)]]);
  assert.equal(await splitError(renamed, "model.gguf"), "GGUF_BAD_SPLIT");
  // one shard duplicated in place of another: tensor names repeat (after split.no is checked, so patch it)
  const dup = set();
  const copy = golden(SPLIT[1]!).slice();
  patchU16(copy, "split.no", 2);
  dup.set(SPLIT[2]!, copy);
  assert.equal(await splitError(dup, SPLIT[0]!), "GGUF_DUPLICATE_KEY");
  // split.count damaged to 1: the first shard alone disagrees with split.tensors.count
  const damaged = set();
  const first = golden(SPLIT[0]!).slice();
  patchU16(first, "split.count", 1);
  damaged.set(SPLIT[0]!, first);
  assert.equal(await splitError(damaged, SPLIT[0]!), "GGUF_BAD_SPLIT");
});

/** Rewrites the u16 value of a key (split.no, split.count) in a gguf-py shard. */
function patchU16(bytes: Uint8Array, key: string, v: number): void {
  const k = Buffer.from(key);
  const at = Buffer.from(bytes).indexOf(k);
  assert.ok(at > 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(view.getUint32(at + k.length, true), 2, `${key} is a u16`);
  view.setUint16(at + k.length + 4, v, true);
}
