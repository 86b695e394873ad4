// Hugging Face folders: the sharded text checkpoint and both multimodal Gemma 3 layouts written by
// scripts/ref/safetensors-fixtures.py, read through the Node adapter, compared with expected.json.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openHfFolder } from "../../../src/formats/hf/folder.js";
import { openHfFolderPath } from "../../../src/platform/node/hf-folder.js";
import { GOLDEN, buildFile, memoryOpener } from "./helpers.js";

const expected = JSON.parse(readFileSync(join(GOLDEN, "expected.json"), "utf8")) as {
  files: Record<string, { tensors: Record<string, { sha256: string }> }>;
};
const readJson = (rel: string) => JSON.parse(readFileSync(join(GOLDEN, rel), "utf8"));
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const TEXT_NAMES = Object.keys({
  ...expected.files["sharded/model-00001-of-00002.safetensors"]!.tensors,
  ...expected.files["sharded/model-00002-of-00002.safetensors"]!.tensors,
}).sort();

test("text-only sharded folder: config, tensors, tokenizer files", async () => {
  const folder = await openHfFolderPath(join(GOLDEN, "sharded"));
  assert.deepEqual(folder.config, readJson("sharded/config.json"));
  assert.equal(folder.textConfig, folder.config);
  assert.deepEqual(folder.tensors.map((t) => t.name).sort(), TEXT_NAMES);
  assert.deepEqual(folder.skipped, []);
  for (const t of folder.tensors) assert.equal(t.storedName, t.name);
  assert.ok(folder.tokenizerJson && folder.tokenizerConfig);
  assert.equal(folder.tokenizerModel, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(await folder.tokenizerJson())), readJson("sharded/tokenizer.json"));
  assert.deepEqual(JSON.parse(JSON.stringify(await folder.tokenizerConfig())), readJson("sharded/tokenizer_config.json"));
  await folder.close();
});

for (const layout of ["multimodal-legacy", "multimodal"]) {
  test(`${layout} Gemma 3 folder loads as the text model, vision tensors listed as skipped`, async () => {
    const folder = await openHfFolderPath(join(GOLDEN, layout));
    const stored = expected.files[`${layout}/model.safetensors`]!.tensors;
    // The text model sees the same names as a text-only checkpoint.
    assert.deepEqual(folder.tensors.map((t) => t.name).sort(), TEXT_NAMES);
    const vision = Object.keys(stored).filter((n) => /^(model\.)?(vision_tower|multi_modal_projector)\./.test(n));
    assert.equal(vision.length, 3);
    assert.deepEqual(folder.skipped.map((t) => t.name).sort(), vision.sort());
    for (const t of folder.tensors) assert.equal(sha256(await folder.readTensor(t)), stored[t.storedName]!.sha256, t.storedName);
    assert.deepEqual(folder.textConfig, readJson(`${layout}/config.json`).text_config);
    assert.deepEqual(folder.textConfig, readJson("sharded/config.json"));
    await folder.close();
  });
}

const CONFIG = new TextEncoder().encode('{"model_type": "gemma3_text"}');
const WEIGHTS = buildFile({ "model.norm.weight": { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));

test("without an exists callback the folder probes files through the opener", async () => {
  const model = new Uint8Array([1, 2, 3, 4, 5]);
  const files = new Map([
    ["config.json", CONFIG],
    ["model.safetensors", WEIGHTS],
    ["tokenizer.model", model],
  ]);
  const folder = await openHfFolder(memoryOpener(files));
  assert.deepEqual(folder.tensors.map((t) => t.name), ["model.norm.weight"]);
  assert.equal(folder.tokenizerJson, undefined);
  assert.deepEqual(await folder.tokenizerModel!(), model);
});

test("config.json errors: HF_BAD_CONFIG naming the file and the JSON position", async () => {
  const text = '{\n  "hidden_size": 8,\n  "ünïcode": }';
  const files = new Map([
    ["config.json", new TextEncoder().encode(text)],
    ["model.safetensors", WEIGHTS],
  ]);
  const byteOffset = Buffer.byteLength(text.slice(0, text.lastIndexOf("}")));
  await assert.rejects(openHfFolder(memoryOpener(files)), (e: Error & { code?: string }) => {
    assert.equal(e.code, "HF_BAD_CONFIG");
    assert.match(e.message, /^config\.json: /);
    assert.match(e.message, new RegExp(`line 3 column 14 \\(byte offset ${byteOffset}\\)`));
    return true;
  });
  for (const bad of ["[1]", '{"text_config": 3}', "\xff"]) {
    files.set("config.json", Uint8Array.from(Buffer.from(bad, "latin1")));
    await assert.rejects(openHfFolder(memoryOpener(files)), { code: "HF_BAD_CONFIG" });
  }
});

test("missing weights, missing shard, path traversal, tensor in two shards, name collisions", async () => {
  const index = (map: Record<string, string>) => new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: map }));
  await assert.rejects(openHfFolder(memoryOpener(new Map([["config.json", CONFIG]]))), { code: "FILE_NOT_FOUND" });

  const opened: string[] = [];
  const cases: [Record<string, string>, Record<string, Uint8Array>, RegExp][] = [
    [{ "model.norm.weight": "a.safetensors" }, {}, /shard "a\.safetensors" named in the weight_map does not exist/],
    [{ "model.norm.weight": "../a.safetensors" }, { "../a.safetensors": WEIGHTS }, /climbs out/],
    [{ "model.norm.weight": "/abs/a.safetensors" }, {}, /absolute path/],
    [{ "model.norm.weight": "a.safetensors", x: "b.safetensors" }, { "a.safetensors": WEIGHTS, "b.safetensors": WEIGHTS }, /"model\.norm\.weight" is in shard "b\.safetensors" but the weight_map puts it in "a\.safetensors"/],
    [{ "model.norm.weight": "a.safetensors", "model.other": "a.safetensors" }, { "a.safetensors": WEIGHTS }, /"model\.other" in shard "a\.safetensors", which does not hold it/],
  ];
  for (const [map, shards, message] of cases) {
    const files = new Map<string, Uint8Array>([["config.json", CONFIG], ["model.safetensors.index.json", index(map)], ...Object.entries(shards)]);
    const opener = memoryOpener(files);
    await assert.rejects(
      openHfFolder(async (p) => {
        opened.push(p);
        return opener(p);
      }),
      (e: Error & { code?: string }) => e.code === "SAFETENSORS_BAD_INDEX" && message.test(e.message),
    );
  }
  assert.ok(!opened.some((p) => p.includes("..") || p.startsWith("/")), opened.join(", "));

  const clash = buildFile(
    {
      "model.norm.weight": { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      "language_model.model.norm.weight": { dtype: "F32", shape: [2], data_offsets: [8, 16] },
    },
    new Uint8Array(16),
  );
  const files = new Map([["config.json", CONFIG], ["model.safetensors", clash]]);
  await assert.rejects(openHfFolder(memoryOpener(files)), { code: "SAFETENSORS_BAD_TENSOR" });
});

test("the Node adapter reports a missing folder", async () => {
  await assert.rejects(openHfFolderPath(join(GOLDEN, "no-such-folder")), { code: "FILE_NOT_FOUND" });
});

test("folders written by transformers' save_pretrained: its own sharded index, and the multimodal layout it writes", async () => {
  const textFiles = Object.keys(expected.files).filter((f) => f.startsWith("transformers-text/"));
  assert.equal(textFiles.length, 2);
  const storedText = Object.assign({}, ...textFiles.map((f) => expected.files[f]!.tensors)) as Record<string, { sha256: string }>;
  const text = await openHfFolderPath(join(GOLDEN, "transformers-text"));
  assert.deepEqual(text.tensors.map((t) => t.name).sort(), Object.keys(storedText).sort());
  const index = readJson("transformers-text/model.safetensors.index.json");
  assert.equal(text.tensors.reduce((s, t) => s + t.byteSize, 0), index.metadata.total_size);
  for (const t of text.tensors) assert.equal(sha256(await text.readTensor(t)), storedText[t.storedName]!.sha256);

  const storedMm = expected.files["transformers-mm/model.safetensors"]!.tensors;
  const mm = await openHfFolderPath(join(GOLDEN, "transformers-mm"));
  assert.deepEqual(mm.tensors.map((t) => t.name).sort(), text.tensors.map((t) => t.name).sort());
  assert.deepEqual(
    mm.skipped.map((t) => t.name).sort(),
    Object.keys(storedMm).filter((n) => /^(vision_tower|multi_modal_projector)\./.test(n)).sort(),
  );
  for (const t of mm.tensors) assert.equal(sha256(await mm.readTensor(t)), storedMm[t.storedName]!.sha256);
  assert.deepEqual(mm.textConfig, readJson("transformers-mm/config.json").text_config);
  assert.equal((mm.textConfig as { hidden_size?: number }).hidden_size, (text.textConfig as { hidden_size?: number }).hidden_size);
  await Promise.all([text.close(), mm.close()]);
});
