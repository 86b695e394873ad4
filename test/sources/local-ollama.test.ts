import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Progress } from "../../src/platform/node/sources/progress.js";
import { resolveModel } from "../../src/platform/node/sources/resolve.js";
import { isGemmaError } from "../../src/util/errors.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gemma-local-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const gguf = () => Buffer.concat([Buffer.from("GGUF"), randomBytes(64)]);
const gemmaError = (code: string, pattern = /./) => (e: unknown) => isGemmaError(e) && e.code === code && pattern.test(e.message);
const noCatalog = { catalog: [], home: "/nonexistent-gemma-home" } as const;

test("local paths: a GGUF file, any shard of a split GGUF, a Hugging Face folder", async () => {
  const file = join(dir, "m.gguf");
  await writeFile(file, gguf());
  assert.deepEqual(await resolveModel(file, noCatalog), { kind: "gguf", path: file });
  const shard1 = join(dir, "big-00001-of-00002.gguf");
  await writeFile(shard1, gguf());
  await writeFile(join(dir, "big-00002-of-00002.gguf"), randomBytes(10));
  assert.deepEqual(await resolveModel(join(dir, "big-00002-of-00002.gguf"), noCatalog), { kind: "gguf", path: shard1 });
  const folder = join(dir, "hf");
  await mkdir(folder);
  await writeFile(join(folder, "config.json"), "{}");
  assert.deepEqual(await resolveModel(folder, noCatalog), { kind: "hf-folder", dir: folder });
});

test("local paths: missing, not GGUF, folder without config.json", async () => {
  await assert.rejects(resolveModel(join(dir, "nope.gguf"), noCatalog), gemmaError("SOURCE_NOT_FOUND", /nope\.gguf: no such file or folder$/));
  await assert.rejects(resolveModel("gemma9-1t", noCatalog), gemmaError("SOURCE_NOT_FOUND", /gemma9-1t: no such file or folder and no catalog model/));
  const text = join(dir, "notes.gguf");
  await writeFile(text, "hello world");
  await assert.rejects(resolveModel(text, noCatalog), gemmaError("GGUF_BAD_MAGIC", /notes\.gguf: not a GGUF file/));
  const empty = join(dir, "empty");
  await mkdir(empty);
  await assert.rejects(resolveModel(empty, noCatalog), gemmaError("SOURCE_NOT_FOUND", /no config\.json/));
  await assert.rejects(resolveModel(join(dir, "x-00003-of-00004.gguf"), noCatalog), gemmaError("SOURCE_NOT_FOUND"));
});

/** Lays out an Ollama models folder the way `ollama pull` leaves it. */
async function ollamaModel(models: string, manifestDir: string[], tag: string, layers: { mediaType: string; bytes: Buffer }[]) {
  await mkdir(join(models, "blobs"), { recursive: true });
  const out = [];
  for (const l of layers) {
    const hex = createHash("sha256").update(l.bytes).digest("hex");
    await writeFile(join(models, "blobs", `sha256-${hex}`), l.bytes);
    out.push({ mediaType: l.mediaType, digest: `sha256:${hex}`, size: l.bytes.length });
  }
  const mdir = join(models, "manifests", ...manifestDir);
  await mkdir(mdir, { recursive: true });
  const config = { mediaType: "application/vnd.docker.container.image.v1+json", digest: `sha256:${"0".repeat(64)}`, size: 2 };
  await writeFile(join(mdir, tag), JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.docker.distribution.manifest.v2+json", config, layers: out }));
  return out;
}

test("ollama: the model layer's blob is used in place, the projector is skipped with a note", async () => {
  const models = join(dir, "ollama");
  const weights = gguf();
  const layers = await ollamaModel(models, ["registry.ollama.ai", "library", "gemma3"], "4b", [
    { mediaType: "application/vnd.ollama.image.model", bytes: weights },
    { mediaType: "application/vnd.ollama.image.projector", bytes: gguf() },
    { mediaType: "application/vnd.ollama.image.template", bytes: Buffer.from("{{ .Prompt }}") },
    { mediaType: "application/vnd.ollama.image.params", bytes: Buffer.from("{}") },
  ]);
  const notes: string[] = [];
  const r = await resolveModel("ollama:gemma3:4b", { ollamaModels: models, onProgress: (p: Progress) => p.type === "note" && notes.push(p.message) });
  assert.deepEqual(r, { kind: "gguf", path: join(models, "blobs", layers[0]!.digest.replace(":", "-")) });
  assert.equal(notes.length, 1);
  assert.match(notes[0]!, /ollama:gemma3:4b: skipping the vision projector layer sha256:[0-9a-f]{64}/);

  await ollamaModel(models, ["registry.ollama.ai", "someone", "tiny"], "latest", [{ mediaType: "application/vnd.ollama.image.model", bytes: weights }]);
  assert.equal((await resolveModel("ollama:someone/tiny", { ollamaModels: models })).kind, "gguf");
});

test("ollama: missing manifest, missing blob, bad names", async () => {
  const models = join(dir, "ollama2");
  await assert.rejects(resolveModel("ollama:gemma3", { ollamaModels: models }), gemmaError("SOURCE_NOT_FOUND", /ollama:gemma3:latest: no Ollama manifest at .*library\/gemma3\/latest/));
  const [layer] = await ollamaModel(models, ["registry.ollama.ai", "library", "gone"], "latest", [{ mediaType: "application/vnd.ollama.image.model", bytes: gguf() }]);
  await rm(join(models, "blobs", layer!.digest.replace(":", "-")));
  await assert.rejects(resolveModel("ollama:gone", { ollamaModels: models }), gemmaError("SOURCE_NOT_FOUND", /blob .* is missing/));
  await assert.rejects(resolveModel("ollama:../../etc", { ollamaModels: models }), gemmaError("SOURCE_BAD_NAME"));
});
