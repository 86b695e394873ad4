// Our writer against independent readers (gguf-py via a committed report, @huggingface/gguf live),
// against gguf-py's writer (byte-identical output for the same content), and round trips.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { gguf } from "@huggingface/gguf";
import {
  type GgufEntry,
  type GgufFile,
  type GgufWriteTensor,
  GgufValueType,
  ggufArray,
  ggufValue,
  readGguf,
  writeGguf,
} from "../../../src/formats/gguf/index.js";
import { GgmlType } from "../../../src/quant/types.js";
import { memorySource } from "../../../src/util/byte-source.js";
import { GemmaError } from "../../../src/util/errors.js";
import { GOLDEN_DIR, entryToJson, golden, hfShape, memorySink } from "./helpers.js";
import { edgeCaseModel, pseudoRandomBytes } from "./our-fixtures.js";

async function write(entries: Iterable<readonly [string, GgufEntry]>, tensors: GgufWriteTensor[], alignment?: number): Promise<Uint8Array> {
  const out = memorySink();
  await writeGguf(out.sink, entries, tensors, alignment === undefined ? {} : { alignment });
  return out.bytes();
}

/** The tensors of a parsed file, ready to be written again. */
async function tensorsOf(f: GgufFile): Promise<GgufWriteTensor[]> {
  return Promise.all(f.tensors.map(async (t) => ({ name: t.name, dims: t.dims, type: t.type, data: await f.readTensor(t) })));
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

test("round trip: readGguf(writeGguf(x)) == x", async () => {
  const { entries, tensors, alignment } = edgeCaseModel();
  const f = await readGguf(memorySource("edge", await write(entries, tensors, alignment)));
  assert.equal(f.alignment, alignment);
  // the non-default alignment is recorded in the metadata, where readers look for it
  assert.deepEqual([...f.metadata.entries()], [...entries, ["general.alignment", ggufValue.u32(alignment)]]);
  assert.deepEqual(
    await tensorsOf(f),
    tensors.map((t) => ({ ...t, dims: [...t.dims] })),
  );
  for (const t of f.tensors) assert.equal(t.offset % alignment, 0);
});

test("lazy tensor data and a metadata-only file", async () => {
  const data = pseudoRandomBytes(16, 9);
  const lazy = await write([["k", ggufValue.u8(1)]], [{ name: "a", dims: [4], type: GgmlType.F32, data: async () => data }]);
  assert.deepEqual(await tensorsOf(await readGguf(memorySource("lazy", lazy))), [{ name: "a", dims: [4], type: 0, data }]);
  const empty = await readGguf(memorySource("empty", await write([], [])));
  assert.equal(empty.tensors.length, 0);
  assert.equal([...empty.metadata.keys()].length, 0);
});

for (const name of ["all-types.gguf", "aligned-128.gguf", "split-00001-of-00003.gguf", "split-00002-of-00003.gguf", "split-00003-of-00003.gguf"]) {
  test(`rewriting gguf-py's ${name} reproduces it byte for byte`, async () => {
    const original = golden(name);
    const f = await readGguf(memorySource(name, original));
    const rewritten = await write(f.metadata.entries(), await tensorsOf(f));
    assert.equal(sha256(rewritten), sha256(original));
  });
}

test("gguf-py reads our writer's edge-case file as written", async () => {
  const { entries, tensors, alignment } = edgeCaseModel();
  const bytes = await write(entries, tensors, alignment);
  // the committed file (which gguf-py read) is still what the writer produces
  assert.equal(sha256(bytes), sha256(golden("ours-edge.gguf")), "regenerate with: node --import tsx scripts/ref/gguf-ours.ts");
  const report = JSON.parse(readFileSync(join(GOLDEN_DIR, "ours-edge.gguf-py-report.json"), "utf8")).files["ours-edge.gguf"];
  const written = [...entries, ["general.alignment", ggufValue.u32(alignment)] as const];
  assert.deepEqual(
    report.kv,
    written.map(([key, e]) => ({ key, type: e.type, value: entryToJson(e) })),
  );
  assert.equal(report.alignment, alignment);
  assert.deepEqual(
    report.tensors.map((t: { name: string; type: number; dims: number[]; sha256: string }) => [t.name, t.type, t.dims, t.sha256]),
    tensors.map((t) => [t.name, t.type, t.dims, sha256(t.data as Uint8Array)]),
  );
});

test("@huggingface/gguf reads our writer's output as written", async () => {
  const { entries, tensors, alignment } = edgeCaseModel();
  const nested: [string, GgufEntry][] = [
    ["n.scores", ggufValue.array(ggufArray.f32([0.5, -1, Number.NaN, 1e30]))],
    ["n.mixed", ggufValue.array(ggufArray.array([ggufArray.u16([1, 65535]), ggufArray.bool([true]), ggufArray.array([ggufArray.i64([-1n])])]))],
    ["n.tokens", ggufValue.array(ggufArray.string(["<pad>", "▁hello", "\u{1F600}"]))],
  ];
  const all = [...entries, ...nested];
  const dir = mkdtempSync(join(tmpdir(), "gguf-writer-"));
  try {
    const path = join(dir, "ours.gguf");
    writeFileSync(path, await write(all, tensors, alignment));
    const ref = await gguf(path, { allowLocalFile: true, typedMetadata: true });
    const typed = ref.typedMetadata as unknown as Record<string, { type: number; subType?: number; value: unknown }>;
    for (const [key, e] of [...all, ["general.alignment", ggufValue.u32(alignment)] as const]) {
      assert.equal(typed[key]!.type, e.type, key);
      if (e.type === GgufValueType.ARRAY) assert.equal(typed[key]!.subType, e.value.itemType, key);
      assert.deepEqual(typed[key]!.value, hfShape(e), key);
    }
    const f = await readGguf(memorySource(path, readFileSync(path)));
    assert.deepEqual(
      ref.tensorInfos.map((t) => [t.name, t.shape.map(Number), t.dtype, Number(ref.tensorDataOffset + t.offset)]),
      f.tensors.map((t) => [t.name, t.dims, t.type, t.offset]),
    );
    assert.deepEqual(f.tensors.map((t) => t.name), tensors.map((t) => t.name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function writeError(entries: [string, GgufEntry][], tensors: GgufWriteTensor[], alignment?: number): Promise<string> {
  try {
    await write(entries, tensors, alignment);
  } catch (e) {
    assert.ok(e instanceof GemmaError, String(e));
    return e.code;
  }
  return "no error";
}

test("the writer refuses what readers would refuse", async () => {
  const f32 = (name: string, dims: number[], bytes = dims.reduce((a, b) => a * b, 1) * 4): GgufWriteTensor => ({
    name,
    dims,
    type: GgmlType.F32,
    data: new Uint8Array(bytes),
  });
  const cases: [string, Promise<string>][] = [
    ["duplicate key", writeError([["a", ggufValue.u8(1)], ["a", ggufValue.u8(2)]], [])],
    ["empty key", writeError([["", ggufValue.u8(1)]], [])],
    ["duplicate tensor", writeError([], [f32("t", [2]), f32("t", [2])])],
    ["no dims", writeError([], [f32("t", [])])],
    ["5 dims", writeError([], [f32("t", [1, 1, 1, 1, 1])])],
    ["zero dim", writeError([], [f32("t", [2, 0])])],
    ["short data", writeError([], [f32("t", [4], 15)])],
    ["short lazy data", writeError([], [{ name: "t", dims: [4], type: GgmlType.F32, data: async () => new Uint8Array(15) }])],
    ["unknown type", writeError([], [{ name: "t", dims: [4], type: 99, data: new Uint8Array(16) }])],
    ["partial block", writeError([], [{ name: "t", dims: [31], type: GgmlType.Q8_0, data: new Uint8Array(34) }])],
    ["long name", writeError([], [f32("x".repeat(64), [1])])],
    ["alignment 48", writeError([], [], 48)],
    ["alignment vs key", writeError([["general.alignment", ggufValue.u32(64)]], [], 128)],
    ["alignment not u32", writeError([["general.alignment", ggufValue.u64(64)]], [])],
    ["u8 out of range", writeError([["a", { type: GgufValueType.UINT8, value: 256 }]], [])],
    ["i32 not integer", writeError([["a", { type: GgufValueType.INT32, value: 1.5 }]], [])],
    ["string not string", writeError([["a", { type: GgufValueType.STRING, value: 3 } as unknown as GgufEntry]], [])],
    ["bad array class", writeError([["a", ggufValue.array({ itemType: GgufValueType.INT32, items: new Uint32Array(1) } as never)]], [])],
    ["bad value type", writeError([["a", { type: 13, value: 0 } as unknown as GgufEntry]], [])],
  ];
  for (const [what, code] of cases) assert.equal(await code, "GGUF_WRITE_ERROR", what);
  assert.throws(() => ggufValue.u32(-1), GemmaError);
  assert.throws(() => ggufArray.i8([128]), GemmaError);
  assert.throws(() => ggufValue.u64(-1n), GemmaError);
});
