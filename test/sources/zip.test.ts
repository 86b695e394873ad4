import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { crc32 as zlibCrc32 } from "node:zlib";
import { crc32 } from "../../src/platform/node/sources/crc32.js";
import { extractZipEntry, findZipEntry, readZipDirectory } from "../../src/platform/node/sources/zip.js";
import { isGemmaError } from "../../src/util/errors.js";
import { writeZip, type ZipInput } from "./zip-writer.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gemma-zip-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function zipFile(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

async function extract(path: string, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await extractZipEntry(path, findZipEntry(path, await readZipDirectory(path), name), async (c) => {
    parts.push(Buffer.from(c));
  });
  return Buffer.concat(parts);
}

function archiveError(code: string, pattern: RegExp) {
  return (e: unknown) => isGemmaError(e) && e.code === code && pattern.test(e.message);
}

test("crc32 agrees with node:zlib", () => {
  for (const n of [0, 1, 7, 1000, 65_537]) {
    const bytes = randomBytes(n);
    assert.equal(crc32(bytes), zlibCrc32(bytes));
    assert.equal(crc32(bytes.subarray(n >> 1), crc32(bytes.subarray(0, n >> 1))), zlibCrc32(bytes), "continued CRC");
  }
});

test("entries written deflated, stored and with data descriptors come back byte for byte", async () => {
  const text = Buffer.from("the quick brown fox ".repeat(50_000));
  const inputs: ZipInput[] = [
    { name: "pkg/__init__.py", data: Buffer.from("") },
    { name: "pkg/data/big.part00", data: Buffer.concat([randomBytes(300_000), text]) },
    { name: "pkg/data/stored.bin", data: randomBytes(5000), method: 0 },
    { name: "pkg/data/streamed.bin", data: text, dataDescriptor: true },
  ];
  const path = await zipFile("ok.zip", writeZip(inputs));
  const entries = await readZipDirectory(path);
  assert.deepEqual(entries.map((e) => e.name), inputs.map((i) => i.name));
  for (const input of inputs) assert.ok((await extract(path, input.name)).equals(input.data), input.name);
});

test("a zip64 archive is refused by name", async () => {
  const path = await zipFile("z64.zip", writeZip([{ name: "a", data: Buffer.from("x") }], { zip64Locator: true }));
  await assert.rejects(readZipDirectory(path), archiveError("ARCHIVE_BAD", /zip64/));
});

test("corrupt archives give ARCHIVE_BAD naming the problem", async () => {
  const data = randomBytes(100_000);
  const good = writeZip([{ name: "m.bin", data }]);

  const notZip = await zipFile("not.zip", Buffer.from("this is not a zip archive at all, just text"));
  await assert.rejects(readZipDirectory(notZip), archiveError("ARCHIVE_BAD", /end-of-central-directory/));

  const truncated = await zipFile("trunc.zip", good.subarray(0, good.length - 30));
  await assert.rejects(readZipDirectory(truncated), archiveError("ARCHIVE_BAD", /not a zip archive, or truncated|overlaps/));

  const missing = await zipFile("missing.zip", good);
  await assert.rejects(extract(missing, "other.bin"), archiveError("ARCHIVE_BAD", /no entry other\.bin \(entries: m\.bin\)/));

  // Flip bytes inside the deflate stream of incompressible data: it
  // either fails to inflate or inflates to different bytes, caught by the CRC.
  const flipped = Buffer.from(good);
  for (let i = 200; i < 220; i++) flipped[i]! ^= 0xff;
  const bad = await zipFile("flipped.zip", flipped);
  await assert.rejects(extract(bad, "m.bin"), archiveError("ARCHIVE_BAD", /m\.bin: (compressed data is corrupt|CRC-32|\d+ bytes after|inflates past)/));

  const stored = Buffer.from(writeZip([{ name: "s.bin", data, method: 0 }]));
  stored[100]! ^= 1;
  const badStored = await zipFile("stored.zip", stored);
  await assert.rejects(extract(badStored, "s.bin"), archiveError("ARCHIVE_BAD", /s\.bin: CRC-32 [0-9a-f]{8} does not match/));
});
