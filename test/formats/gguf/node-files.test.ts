// openGgufPath / writeGgufPath on real files: gguf-py's split set copied to a folder is found and
// merged from the first shard's path, and tensor data is read from the right shard file.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ggufValue } from "../../../src/formats/gguf/index.js";
import { openGgufPath, writeGgufPath } from "../../../src/platform/node/gguf-files.js";
import { GemmaError } from "../../../src/util/errors.js";
import { GOLDEN_DIR } from "./helpers.js";

const SPLIT = [1, 2, 3].map((i) => `split-0000${i}-of-00003.gguf`);

test("openGgufPath finds a split model's shards in the same folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gguf-split-"));
  try {
    for (const n of SPLIT) copyFileSync(join(GOLDEN_DIR, n), join(dir, n));
    const report = JSON.parse(readFileSync(join(GOLDEN_DIR, "gguf-py-report.json"), "utf8")).files;
    const f = await openGgufPath(join(dir, SPLIT[0]!));
    const expected = SPLIT.flatMap((n) => report[n].tensors.map((t: { name: string; sha256: string }) => [t.name, join(dir, n), t.sha256]));
    const actual = [];
    for (const t of f.tensors) actual.push([t.name, t.source.name, createHash("sha256").update(await f.readTensor(t)).digest("hex")]);
    assert.deepEqual(actual, expected);
    await f.close();

    rmSync(join(dir, SPLIT[2]!));
    await assert.rejects(openGgufPath(join(dir, SPLIT[0]!)), (e) => e instanceof GemmaError && e.code === "FILE_NOT_FOUND");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("writeGgufPath writes a file openGgufPath reads back", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gguf-write-"));
  try {
    const path = join(dir, "x.gguf");
    const data = new Uint8Array(Float32Array.of(1, 2, 3).buffer);
    await writeGgufPath(path, [["general.name", ggufValue.string("x")]], [{ name: "w", dims: [3], type: 0, data }]);
    const f = await openGgufPath(path);
    assert.equal(f.metadata.string("general.name"), "x");
    assert.deepEqual(await f.readTensor(f.tensors[0]!), data);
    await f.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
