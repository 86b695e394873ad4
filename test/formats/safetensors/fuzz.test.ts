// Seeded fuzzing of the safetensors reader and the sharded-index reader. Every input must either
// parse into something that passes the format's consistency rules, or raise a GemmaError with a
// safetensors code; any other exception fails with its seed. Reads are counted: the reader may
// never ask for bytes past the end of a file, nor more bytes in total than the file holds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dtypeBits } from "../../../src/formats/safetensors/dtypes.js";
import { readSafetensors } from "../../../src/formats/safetensors/file.js";
import { openShardedSafetensors } from "../../../src/formats/safetensors/sharded.js";
import type { SafetensorsCollection } from "../../../src/formats/safetensors/types.js";
import { checkRange, type ByteSource } from "../../../src/util/byte-source.js";
import { GemmaError, isGemmaError } from "../../../src/util/errors.js";
import { buildFile, golden, rng } from "./helpers.js";

const HEADER_CASES = 3000;
const INDEX_CASES = 1000;

/** A memory source that fails the test (not with a GemmaError) on a read past the end, and counts bytes. */
function strictSource(name: string, bytes: Uint8Array, counter: { bytes: number }): ByteSource {
  const source: ByteSource = {
    name,
    size: bytes.length,
    async read(offset, length) {
      assert.ok(Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0, `${name}: bad read ${offset}+${length}`);
      assert.ok(offset + length <= bytes.length, `${name}: read ${length} bytes at ${offset} past the end (${bytes.length})`);
      checkRange(source, offset, length);
      counter.bytes += length;
      return bytes.subarray(offset, offset + length);
    },
    async close() {},
  };
  return source;
}

/** The rules a parsed file must satisfy (huggingface/safetensors README, "Format"). */
async function checkConsistent(c: SafetensorsCollection, files: ReadonlyMap<string, number>): Promise<void> {
  const names = new Set<string>();
  const bySource = new Map<string, { dataStart: number; tiles: [number, number][] }>();
  for (const t of c.tensors) {
    assert.ok(!names.has(t.name), `duplicate tensor ${t.name}`);
    names.add(t.name);
    const bits = dtypeBits(t.dtype);
    assert.ok(bits !== undefined, `unknown dtype ${t.dtype}`);
    let n = 1;
    for (const d of t.shape) {
      assert.ok(Number.isSafeInteger(d) && d >= 0);
      n *= d;
    }
    assert.equal(t.byteSize * 8, n * bits, `${t.name}: byte size`);
    const size = files.get(t.source.name);
    assert.ok(size !== undefined);
    assert.ok(t.offset >= 8 && t.offset + t.byteSize <= size, `${t.name}: out of the file`);
    const entry = bySource.get(t.source.name) ?? { dataStart: Infinity, tiles: [] };
    entry.tiles.push([t.offset, t.offset + t.byteSize]);
    bySource.set(t.source.name, entry);
    assert.equal((await c.readTensor(t)).length, t.byteSize);
  }
  for (const [name, { tiles }] of bySource) {
    tiles.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    for (let i = 1; i < tiles.length; i++) assert.equal(tiles[i]![0], tiles[i - 1]![1], `${name}: hole or overlap`);
    assert.equal(tiles.at(-1)![1], files.get(name), `${name}: data not covered to the end`);
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

const ODD_VALUES: readonly unknown[] = [null, true, "F32", 2.5, -1, 0, [], {}, [1, 2], 2 ** 53, 1e300, "x".repeat(300), [[1]], -0];
const DTYPES = ["F32", "F16", "BF16", "I8", "U8", "BOOL", "I64", "F64", "F8_E4M3", "F4", "F6_E3M2", "C64", "f32", "Q4_0", ""];

function splitFile(bytes: Uint8Array): { header: Record<string, Record<string, unknown>>; data: Uint8Array } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(dec.decode(bytes.subarray(8, 8 + n))), data: bytes.subarray(8 + n) };
}

const SAME_WIDTH: Readonly<Record<string, readonly string[]>> = {
  F32: ["F32", "I32", "U32"],
  F16: ["F16", "BF16", "I16", "U16"],
  BF16: ["BF16", "F16", "I16"],
  I32: ["I32", "F32"],
  U8: ["U8", "I8", "BOOL", "F8_E4M3", "F8_E5M2"],
};

/** Edits that keep a file valid: key order, padding, same-width dtypes, extra fields, string metadata. */
function benignMutation(r: () => number, base: Uint8Array): Uint8Array {
  const { header, data } = splitFile(base);
  const entries = Object.entries(header);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  for (const [name, t] of entries) {
    if (name === "__metadata__") continue;
    const widths = SAME_WIDTH[t["dtype"] as string];
    if (widths) t["dtype"] = pick(r, widths);
    if (r() < 0.3) t["extra"] = pick(r, ODD_VALUES);
  }
  if (r() < 0.5) entries.push(["__metadata__", { k: pick(r, ["", "v", "\u00e9\ud83d\ude00"]) }]);
  const text = JSON.stringify(Object.fromEntries(entries), null, r() < 0.5 ? 1 : undefined);
  return buildFile(text + " ".repeat(Math.floor(r() * 8)), data);
}

/** One mutated file from a valid one: JSON edits, raw text edits or byte edits. */
function mutate(r: () => number, base: Uint8Array): Uint8Array {
  if (r() < 0.2) return benignMutation(r, base);
  const { header, data } = splitFile(base);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  const rounds = 1 + Math.floor(r() * 3);
  let payload = data;
  for (let i = 0; i < rounds; i++) {
    const name = pick(r, names);
    const t = header[name]!;
    switch (Math.floor(r() * 8)) {
      case 0:
        t["dtype"] = pick(r, DTYPES);
        break;
      case 1: {
        const shape = t["shape"] as number[];
        if (Array.isArray(shape) && shape.length > 0) shape[Math.floor(r() * shape.length)] = Math.floor(r() * 9) - 1;
        else t["shape"] = [Math.floor(r() * 5)];
        break;
      }
      case 2: {
        const offs = t["data_offsets"] as number[];
        if (Array.isArray(offs)) offs[Math.floor(r() * 2)] = pick(r, [0, 1, offs[0]! + 2, offs[1]! - 2, 2 ** 40, 2 ** 53 + 2, 1e20]);
        break;
      }
      case 3:
        t[pick(r, ["dtype", "shape", "data_offsets", "extra"])] = pick(r, ODD_VALUES);
        break;
      case 4:
        delete t[pick(r, ["dtype", "shape", "data_offsets"])];
        break;
      case 5:
        header["__metadata__"] = pick(r, [null, "pt", { x: 1 }, { x: "1" }, [], {}]) as Record<string, unknown>;
        break;
      case 6: {
        const other = pick(r, names);
        header[other] = structuredClone(header[name]!);
        break;
      }
      default:
        payload = r() < 0.5 ? payload.subarray(0, Math.floor(r() * payload.length)) : new Uint8Array([...payload, ...new Uint8Array(1 + Math.floor(r() * 8))]);
    }
  }
  let text = JSON.stringify(header);
  const textEdit = Math.floor(r() * 6);
  if (textEdit === 0) {
    // Repeat one member: a duplicate key.
    const m = /"[^"]+":\{[^{}]*\}/.exec(text.slice(1));
    if (m) text = `{${m[0]},${text.slice(1)}`;
  } else if (textEdit === 1) {
    const depth = Math.floor(r() * 2000);
    text = `{"deep":${"[".repeat(depth)}${"]".repeat(depth)},${text.slice(1)}`;
  } else if (textEdit === 2) {
    text = text.slice(0, Math.floor(r() * text.length));
  }
  let file = buildFile(text, payload);
  const byteEdit = Math.floor(r() * 6);
  if (byteEdit === 0) {
    const b = file.slice();
    for (let k = 0; k < 1 + r() * 4; k++) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    file = b;
  } else if (byteEdit === 1) {
    const b = file.slice();
    const view = new DataView(b.buffer);
    const len = pick(r, [0n, 1n, 7n, BigInt(b.length), BigInt(b.length - 8), 99_999_999n, 100_000_000n, 100_000_001n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]);
    view.setBigUint64(0, len, true);
    file = b;
  } else if (byteEdit === 2) {
    file = file.subarray(0, Math.floor(r() * file.length));
  } else if (byteEdit === 3) {
    const at = 8 + Math.floor(r() * Math.max(1, file.length - 8));
    const garbage = Uint8Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 256));
    file = new Uint8Array([...file.subarray(0, at), ...garbage, ...file.subarray(at)]);
  }
  return file;
}

function expectGemmaError(e: unknown, codes: readonly string[], seed: number): void {
  if (!isGemmaError(e)) throw new Error(`seed ${seed}: untyped exception ${(e as Error)?.stack ?? String(e)}`);
  assert.ok(codes.includes(e.code), `seed ${seed}: unexpected code ${e.code}: ${e.message}`);
}

const smallBase = buildFile(
  {
    __metadata__: { format: "pt" },
    a: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] },
    b: { dtype: "BF16", shape: [3], data_offsets: [16, 22] },
    c: { dtype: "F16", shape: [1, 2], data_offsets: [22, 26] },
    d: { dtype: "F32", shape: [0, 4], data_offsets: [26, 26] },
  },
  new Uint8Array(26),
);

test(`${HEADER_CASES} mutated safetensors files: consistent or GemmaError, reads bounded`, async () => {
  const bases = [smallBase, golden("single.safetensors")];
  let accepted = 0;
  for (let seed = 1; seed <= HEADER_CASES; seed++) {
    const r = rng(seed);
    const bytes = mutate(r, pick(r, bases));
    const counter = { bytes: 0 };
    const source = strictSource(`fuzz-${seed}.safetensors`, bytes, counter);
    try {
      const file = await readSafetensors(source);
      await checkConsistent(file, new Map([[source.name, bytes.length]]));
      accepted++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw new Error(`seed ${seed}: ${e.message}`);
      expectGemmaError(e, ["SAFETENSORS_BAD_HEADER", "SAFETENSORS_BAD_TENSOR"], seed);
      assert.match((e as GemmaError).message, new RegExp(`^fuzz-${seed}\\.safetensors: `));
    }
    // Opening reads the prefix and the header once; checkConsistent reads each tensor once.
    assert.ok(counter.bytes <= bytes.length, `seed ${seed}: read ${counter.bytes} bytes of a ${bytes.length}-byte file`);
  }
  // The mutations must leave some files valid, or the consistency branch is untested.
  assert.ok(accepted > HEADER_CASES / 10, `only ${accepted} accepted`);
});

test("a declared header length past the end of the file is refused after reading 8 bytes", async () => {
  for (const declared of [1000n, 99_999_999n, 2n ** 40n, 2n ** 64n - 1n]) {
    const bytes = smallBase.slice();
    new DataView(bytes.buffer).setBigUint64(0, declared, true);
    const counter = { bytes: 0 };
    await assert.rejects(readSafetensors(strictSource("big.safetensors", bytes, counter)), { code: "SAFETENSORS_BAD_HEADER" });
    assert.equal(counter.bytes, 8);
  }
});

const SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];

function mutateIndex(r: () => number, index: { metadata: Record<string, unknown>; weight_map: Record<string, unknown> }): string {
  const names = Object.keys(index.weight_map);
  if (r() < 0.15) {
    // Valid variations: weight_map order, metadata absent or with other keys.
    const shuffled = names.map((n) => [r(), n] as const).sort((a, b) => a[0] - b[0]);
    const metadata = pick(r, [undefined, null, {}, { total_size: 0 }, { format: "pt", total_size: 12 }]);
    return JSON.stringify({ metadata, weight_map: Object.fromEntries(shuffled.map(([, n]) => [n, index.weight_map[n]])) });
  }
  const rounds = 1 + Math.floor(r() * 3);
  for (let i = 0; i < rounds; i++) {
    const name = pick(r, names);
    switch (Math.floor(r() * 9)) {
      case 0:
        delete index.weight_map[name];
        break;
      case 1:
        index.weight_map[pick(r, [name, "model.extra.weight"])] = pick(r, SHARDS);
        break;
      case 2:
        index.weight_map[name] = pick(r, [
          "../model-00001-of-00002.safetensors",
          "/etc/passwd",
          "C:\\x.safetensors",
          "sub/../model-00001-of-00002.safetensors",
          "./model-00001-of-00002.safetensors",
          "missing.safetensors",
          "",
          "a\\b",
          "x\u0000y",
          "dir//x",
        ]);
        break;
      case 3:
        index.weight_map[name] = pick(r, ODD_VALUES);
        break;
      case 4:
        (index as Record<string, unknown>)["weight_map"] = pick(r, ODD_VALUES);
        return JSON.stringify(index);
      case 5:
        index.metadata = pick(r, [null, "x", { total_size: "1" }, { total_size: -1 }, { total_size: 2.5 }, {}, []]) as Record<string, unknown>;
        break;
      case 6:
        delete (index as Record<string, unknown>)["weight_map"];
        return JSON.stringify(index);
      case 7:
        return JSON.stringify(index).slice(0, Math.floor(r() * 200));
      default:
        return pick(r, ["[]", "null", "", "{", "\u00ff", '{"weight_map":{}}', '{"weight_map":{"a":"x","a":"y"}}']);
    }
  }
  return JSON.stringify(index);
}

test(`${INDEX_CASES} mutated sharded checkpoints: consistent or GemmaError, shard paths confined`, async () => {
  const indexBase = JSON.parse(dec.decode(golden("sharded/model.safetensors.index.json")));
  const shardBytes = new Map(SHARDS.map((s) => [s, golden(`sharded/${s}`)]));
  let accepted = 0;
  for (let seed = 1; seed <= INDEX_CASES; seed++) {
    const r = rng(1_000_000 + seed);
    const indexText = mutateIndex(r, structuredClone(indexBase));
    const files = new Map(shardBytes);
    if (r() < 0.2) files.set(pick(r, SHARDS), mutate(r, shardBytes.get(pick(r, SHARDS))!));
    const counter = { bytes: 0 };
    const opener = async (relPath: string): Promise<ByteSource> => {
      assert.ok(!relPath.split("/").includes("..") && !relPath.startsWith("/") && !relPath.includes("\\"), `seed ${seed}: opened ${relPath}`);
      const bytes = files.get(relPath);
      if (!bytes) throw new GemmaError("FILE_NOT_FOUND", `${relPath}: no such file`);
      return strictSource(relPath, bytes, counter);
    };
    const indexBytes = enc.encode(indexText);
    try {
      const sharded = await openShardedSafetensors(strictSource("index.json", indexBytes, counter), opener);
      await checkConsistent(sharded, new Map([...files].map(([k, v]) => [k, v.length])));
      const map = JSON.parse(indexText).weight_map as Record<string, string>;
      assert.deepEqual(new Set(sharded.tensors.map((t) => t.name)), new Set(Object.keys(map)));
      for (const t of sharded.tensors) assert.equal(t.source.name, map[t.name]);
      accepted++;
    } catch (e) {
      if (e instanceof assert.AssertionError) throw new Error(`seed ${seed}: ${e.message}`);
      expectGemmaError(e, ["SAFETENSORS_BAD_INDEX", "SAFETENSORS_BAD_HEADER", "SAFETENSORS_BAD_TENSOR"], seed);
    }
    const total = indexBytes.length + [...files.values()].reduce((s, b) => s + b.length, 0);
    assert.ok(counter.bytes <= total, `seed ${seed}: read ${counter.bytes} bytes of ${total}`);
  }
  assert.ok(accepted > INDEX_CASES / 10, `only ${accepted} accepted`);
});
