// Targeted malformed headers (each refused with the right code, naming the file, the field and
// the byte offset), a virtual 20 GB file read without touching its data, and byte-exact reads.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type GgufEntry, type GgufWriteTensor, ggufArray, ggufValue, readGguf, writeGguf } from "../../../src/formats/gguf/index.js";
import { GgmlType } from "../../../src/quant/types.js";
import { type ByteSource, checkRange, memorySource } from "../../../src/util/byte-source.js";
import { GemmaError } from "../../../src/util/errors.js";
import { type FieldKind, ggufFields } from "./fuzz-fields.js";
import { memorySink } from "./helpers.js";

async function write(entries: [string, GgufEntry][], tensors: GgufWriteTensor[]): Promise<Uint8Array> {
  const out = memorySink();
  await writeGguf(out.sink, entries, tensors);
  return out.bytes();
}

const f32 = (name: string, n: number): GgufWriteTensor => ({ name, dims: [n], type: GgmlType.F32, data: new Uint8Array(4 * n) });

/** A small valid file: two keys, two tensors. */
function base(): Promise<Uint8Array> {
  return write(
    [
      ["a", ggufValue.u32(7)],
      ["b", ggufValue.array(ggufArray.string(["x", "y"]))],
    ],
    [f32("t0", 8), f32("t1", 8)],
  );
}

/** Overwrites the `nth` field of `kind` (as located by the independent walker) with `v`. */
function patch(bytes: Uint8Array, kind: FieldKind, nth: number, v: number | bigint): Uint8Array {
  const f = ggufFields(bytes).filter((x) => x.kind === kind)[nth]!;
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  if (f.size === 8) view.setBigUint64(f.offset, BigInt(v), true);
  else if (f.size === 4) view.setUint32(f.offset, Number(v), true);
  else if (f.size === 1) view.setUint8(f.offset, Number(v));
  else throw new Error(`cannot patch a ${f.size}-byte field`);
  return out;
}

async function refusal(bytes: Uint8Array): Promise<GemmaError> {
  try {
    await readGguf(memorySource("bad.gguf", bytes));
  } catch (e) {
    assert.ok(e instanceof GemmaError, String(e));
    return e;
  }
  assert.fail("accepted");
}

test("malformed headers are refused with the right code, naming file, field and byte offset", async () => {
  const ok = await base();
  const withKey = (e: GgufEntry) => write([["k", e]], []);
  const cases: [string, Uint8Array, string, RegExp][] = [
    ["magic", patch(ok, "magic", 0, 0x46554747 + 1), "GGUF_BAD_MAGIC", /byte offset 0/],
    ["version 1", patch(ok, "version", 0, 1), "GGUF_BAD_VERSION", /version 1 at byte offset 4.*obsolete/],
    ["version 4", patch(ok, "version", 0, 4), "GGUF_BAD_VERSION", /version 4 at byte offset 4/],
    ["big-endian", patch(ok, "version", 0, 0x03000000), "GGUF_BAD_VERSION", /big-endian/],
    ["empty", new Uint8Array(0), "TRUNCATED", /magic and version at byte offset 0/],
    ["cut in counts", ok.slice(0, 12), "TRUNCATED", /tensor count at byte offset 8/],
    ["kv count", patch(ok, "count", 1, 2n ** 40n), "GGUF_ABSURD_COUNT", /metadata key\/value count at byte offset 16/],
    ["tensor count", patch(ok, "count", 0, 2n ** 60n), "GGUF_ABSURD_COUNT", /tensor count at byte offset 8/],
    ["key length", patch(ok, "strlen", 0, 2n ** 62n), "GGUF_ABSURD_COUNT", /metadata key 0 length at byte offset 24 is 2\^53 or more/],
    ["value type", patch(ok, "vtype", 0, 13), "GGUF_BAD_VALUE_TYPE", /metadata key "a" value type at byte offset 33 is 13/],
    ["array item type", patch(ok, "vtype", 2, 99), "GGUF_BAD_VALUE_TYPE", /"b" item type at byte offset/],
    ["array count", patch(ok, "count", 2, 2n ** 33n), "GGUF_ABSURD_COUNT", /"b" item count at byte offset/],
    ["empty key", patch(ok, "strlen", 0, 0), "GGUF_BAD_STRING", /metadata key 0 at byte offset 24 is empty/],
    ["n_dims 0", patch(ok, "ndims", 0, 0), "GGUF_BAD_TENSOR", /"t0" has n_dims 0.*byte offset/],
    ["n_dims 5", patch(ok, "ndims", 1, 5), "GGUF_BAD_TENSOR", /"t1" has n_dims 5/],
    ["dim 0", patch(ok, "dim", 0, 0), "GGUF_BAD_TENSOR", /"t0" dimension 0 is 0/],
    ["dim huge", patch(ok, "dim", 0, 2n ** 60n), "GGUF_BAD_TENSOR", /dimension 0 is 2\^53 or more/],
    ["unknown type", patch(ok, "ttype", 0, 99), "GGUF_BAD_TENSOR", /type id 99, which is not a ggml type/],
    ["partial block", patch(ok, "ttype", 0, GgmlType.Q8_0), "GGUF_BAD_TENSOR", /not a multiple of the Q8_0 block size 32/],
    ["misaligned", patch(ok, "toffset", 1, 40), "GGUF_BAD_ALIGNMENT", /"t1" data offset 40 .*byte offset .* alignment 32/],
    ["overlap", patch(ok, "toffset", 1, 0), "GGUF_TENSOR_OVERLAP", /"t1" at byte offset \d+ overlaps tensor "t0"/],
    ["past end", patch(ok, "toffset", 1, 2n ** 20n), "GGUF_TENSOR_OUT_OF_BOUNDS", /"t1" .* passes the end of the file/],
    ["offset huge", patch(ok, "toffset", 1, 2n ** 63n), "GGUF_TENSOR_OUT_OF_BOUNDS", /2\^53 or more/],
    ["truncated data", ok.slice(0, ok.length - 1), "GGUF_TENSOR_OUT_OF_BOUNDS", /"t1"/],
    ["duplicate key", await write([["a", ggufValue.u8(1)], ["b", ggufValue.u8(1)]], []).then((b) => patchKey(b, "b", "a")), "GGUF_DUPLICATE_KEY", /"a" at byte offset \d+ repeats/],
    ["duplicate tensor", await write([], [f32("t0", 8), f32("t1", 8)]).then((b) => patchKey(b, "t1", "t0")), "GGUF_DUPLICATE_KEY", /repeats the name "t0"/],
    ["bad utf-8", await write([["\u00e9", ggufValue.u8(1)]], []).then((b) => patchKey(b, "\u00e9", "\u00c0", 0xff)), "GGUF_BAD_STRING", /not valid UTF-8/],
    ["bool 2", patch(await withKey(ggufValue.bool(true)), "value", 0, 2), "GGUF_BAD_VALUE_TYPE", /bool of value 2/],
    ["alignment 0", patch(await withAlignment(32), "value", 0, 0), "GGUF_BAD_ALIGNMENT", /is 0, not a nonzero power of two/],
    ["alignment 48", patch(await withAlignment(32), "value", 0, 48), "GGUF_BAD_ALIGNMENT", /is 48/],
    ["alignment u64", await write([["general.alignmenX", ggufValue.u64(32)]], []).then((b) => patchKey(b, "general.alignmenX", "general.alignment")), "GGUF_BAD_ALIGNMENT", /type u64, expected u32/],
    ["nesting", await withKey(ggufValue.array(nest(7))).then((b) => b), "no error", /./],
    ["long name", await write([], [f32("n".repeat(63), 1)]).then((b) => patch(b, "strlen", 0, 64)), "GGUF_BAD_TENSOR", /64 bytes long/],
  ];
  for (const [what, bytes, code, message] of cases) {
    if (code === "no error") {
      await readGguf(memorySource("ok.gguf", bytes));
      continue;
    }
    const e = await refusal(bytes);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    assert.match(e.message, /^bad\.gguf: /, what);
    assert.match(e.message, message, what);
    assert.match(e.message, /byte offset/, what);
  }
  // nesting past the cap is refused (the writer would refuse to write it, so build it by hand)
  const deep = await withKey(ggufValue.array(nest(7)));
  const e = await refusal(deepen(deep));
  assert.equal(e.code, "GGUF_BAD_VALUE_TYPE");
  assert.match(e.message, /nests arrays more than 8 deep/);
});

/** An array nested `depth` levels below the top one, holding one i32. */
function nest(depth: number): ReturnType<typeof ggufArray.i32> {
  return depth === 0 ? ggufArray.i32([1]) : ggufArray.array([nest(depth - 1)]);
}

/** Wraps the value of the only key of `bytes` (an array) in one more array level. */
function deepen(bytes: Uint8Array): Uint8Array {
  const vtypeField = ggufFields(bytes).find((f) => f.kind === "vtype")!;
  const at = vtypeField.offset + 4; // start of the outer array's payload
  const wrapper = new Uint8Array(12);
  new DataView(wrapper.buffer).setUint32(0, 9, true);
  new DataView(wrapper.buffer).setBigUint64(4, 1n, true);
  const out = new Uint8Array(bytes.length + 12);
  out.set(bytes.subarray(0, at));
  out.set(wrapper, at);
  out.set(bytes.subarray(at), at + 12);
  return out;
}

function withAlignment(a: number): Promise<Uint8Array> {
  return write([["general.alignment", ggufValue.u32(a)]], []);
}

/** Replaces the bytes of string `from` with `to` (same byte length); `raw` forces the first byte. */
function patchKey(bytes: Uint8Array, from: string, to: string, raw?: number): Uint8Array {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  assert.equal(a.length, b.length);
  const at = Buffer.from(bytes).indexOf(a);
  const out = bytes.slice();
  out.set(b, at);
  if (raw !== undefined) out[at] = raw;
  return out;
}

test("known but unsupported tensor types parse (the model loader refuses them later)", async () => {
  const bytes = await write([], [{ name: "q", dims: [256], type: GgmlType.IQ2_XXS, data: new Uint8Array(66) }]);
  const f = await readGguf(memorySource("iq.gguf", bytes));
  assert.equal(f.tensors[0]!.type, GgmlType.IQ2_XXS);
});

/**
 * A 20 GiB file whose bytes exist only as a function of their offset: the header is real, one
 * tensor spans 17 GiB and a small one sits past 2^34. Parsing reads the header and at most the
 * reader's first read-ahead (64 KiB) beyond it.
 */
test("a 20 GiB file: only the header is read; offsets past 2^32 are exact", async () => {
  const small = (name: string) => f32(name, 8);
  const header = await write([["general.architecture", ggufValue.string("virtual")]], [small("huge"), small("after")]);
  const dims = ggufFields(header).filter((f) => f.kind === "dim");
  const offsets = ggufFields(header).filter((f) => f.kind === "toffset");
  const hugeElements = 2 ** 32 + 2 ** 28; // f32: 17 GiB
  const view = new DataView(header.buffer);
  view.setBigUint64(dims[0]!.offset, BigInt(hugeElements), true);
  view.setBigUint64(offsets[1]!.offset, BigInt(hugeElements * 4), true);
  const dataOffset = ggufFields(header).find((f) => f.kind === "data")!.offset;
  const size = 20 * 2 ** 30; // 20 GiB
  let requested = 0;
  const source: ByteSource = {
    name: "virtual.gguf",
    size,
    async read(offset, length) {
      checkRange(source, offset, length);
      requested += length;
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = offset + i < dataOffset ? header[offset + i]! : (offset + i) % 251;
      return out;
    },
    async close() {},
  };
  const f = await readGguf(source);
  assert.ok(requested <= dataOffset + 2 ** 16, `read ${requested} bytes for a ${dataOffset}-byte header`);
  const [huge, after] = f.tensors;
  assert.equal(huge!.byteSize, hugeElements * 4);
  assert.equal(after!.offset, dataOffset + hugeElements * 4);
  const bytes = await f.readTensor(after!);
  assert.deepEqual([...bytes.subarray(0, 4)], [0, 1, 2, 3].map((i) => (after!.offset + i) % 251));
});
