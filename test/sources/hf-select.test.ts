// File choice for hf:owner/repo[:QUANT|:file], following the rule llama.cpp's `-hf repo:QUANT`
// documents (ggml-org/llama.cpp:common/arg.cpp, --hf-repo help): quant case-insensitive, default
// Q4_K_M, else the first GGUF; projector files are not models; split GGUFs come with all shards.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHfName } from "../../src/platform/node/sources/hf-name.js";
import { selectFiles, type RepoFile } from "../../src/platform/node/sources/hf-select.js";
import { isGemmaError } from "../../src/util/errors.js";

const files = (...paths: string[]): RepoFile[] => paths.map((path) => ({ path, size: 1, sha256: undefined }));
const picked = (repoFiles: RepoFile[], name: string) => {
  const { repo, selector } = parseHfName(name);
  const s = selectFiles(repo, repoFiles, selector);
  return { kind: s.kind, paths: s.files.map((f) => f.path) };
};
const code = (c: string, pattern = /./) => (e: unknown) => isGemmaError(e) && e.code === c && pattern.test(e.message);

const ggufRepo = files(
  "README.md",
  "gemma-3-1b-it-Q8_0.gguf",
  "gemma-3-1b-it-Q4_K_S.gguf",
  "gemma-3-1b-it-Q4_K_M.gguf",
  "gemma-3-1b-it-Q4_K.gguf",
  "mmproj-gemma-3-1b-it-Q4_K_M.gguf",
);

test("quant tags pick by whole tag, case-insensitively, default Q4_K_M", () => {
  assert.deepEqual(picked(ggufRepo, "hf:o/r").paths, ["gemma-3-1b-it-Q4_K_M.gguf"]);
  assert.deepEqual(picked(ggufRepo, "hf:o/r:q8_0").paths, ["gemma-3-1b-it-Q8_0.gguf"]);
  assert.deepEqual(picked(ggufRepo, "hf:o/r:Q4_K").paths, ["gemma-3-1b-it-Q4_K.gguf"]);
  assert.deepEqual(picked(ggufRepo, "hf:o/r:Q4_K_S").paths, ["gemma-3-1b-it-Q4_K_S.gguf"]);
  assert.throws(() => picked(ggufRepo, "hf:o/r:IQ2_XXS"), code("SOURCE_NOT_FOUND", /no GGUF file with quant IQ2_XXS \(GGUF files: .*Q8_0\.gguf/));
});

test("without Q4_K_M the first model GGUF is taken, never a projector", () => {
  const repo = files("mmproj-f16.gguf", "model-f16.gguf", "model-bf16.gguf");
  assert.deepEqual(picked(repo, "hf:o/r").paths, ["model-bf16.gguf"]);
  assert.throws(() => picked(files("mmproj-f16.gguf", "README.md"), "hf:o/r"), code("SOURCE_NOT_FOUND"));
});

test("a split GGUF brings all its shards, first shard first", () => {
  const repo = files(
    "Q8_0/model-Q8_0-00002-of-00002.gguf",
    "Q8_0/model-Q8_0-00001-of-00002.gguf",
    "Q4_K_M/model-Q4_K_M-00003-of-00003.gguf",
    "Q4_K_M/model-Q4_K_M-00001-of-00003.gguf",
    "Q4_K_M/model-Q4_K_M-00002-of-00003.gguf",
  );
  assert.deepEqual(picked(repo, "hf:o/r").paths, [
    "Q4_K_M/model-Q4_K_M-00001-of-00003.gguf",
    "Q4_K_M/model-Q4_K_M-00002-of-00003.gguf",
    "Q4_K_M/model-Q4_K_M-00003-of-00003.gguf",
  ]);
  assert.deepEqual(picked(repo, "hf:o/r:Q8_0/model-Q8_0-00001-of-00002.gguf").paths.length, 2);
  assert.throws(() => picked(repo.slice(1), "hf:o/r:Q8_0"), code("SOURCE_NOT_FOUND", /lacks shard Q8_0\/model-Q8_0-00002-of-00002\.gguf/));
});

test("a repo without GGUFs gives its Hugging Face folder files", () => {
  const repo = files(
    ".gitattributes",
    "README.md",
    "config.json",
    "generation_config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "original/params.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
  );
  const s = picked(repo, "hf:o/r");
  assert.equal(s.kind, "hf-folder");
  assert.deepEqual(s.paths, [
    "config.json",
    "generation_config.json",
    "model-00001-of-00002.safetensors",
    "model-00002-of-00002.safetensors",
    "model.safetensors.index.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer.model",
    "tokenizer_config.json",
  ]);
  assert.throws(() => picked(files("config.json", "README.md"), "hf:o/r"), code("SOURCE_NOT_FOUND", /neither a GGUF/));
});

test("names: a file selector, normalized keys, and refusals", () => {
  assert.deepEqual(parseHfName("hf:google/gemma-3-1b-it-qat-q4_0-gguf:q4_0"), {
    repo: "google/gemma-3-1b-it-qat-q4_0-gguf",
    selector: { kind: "quant", tag: "Q4_0" },
    key: "hf:google/gemma-3-1b-it-qat-q4_0-gguf:Q4_0",
  });
  assert.deepEqual(parseHfName("hf:o/r:sub/x.gguf").selector, { kind: "file", path: "sub/x.gguf" });
  for (const bad of ["hf:", "hf:onlyowner", "hf:a/b/c", "hf:../x", "hf:o/r:", "hf:o/r:../../etc/passwd", "hf:o/r:/abs.gguf"]) {
    assert.throws(() => parseHfName(bad), code("SOURCE_BAD_NAME"), bad);
  }
});
