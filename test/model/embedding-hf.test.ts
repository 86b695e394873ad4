import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GemmaModel } from "../../src/api/model.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import type { Backend } from "../../src/model/model.js";
import { openGgufPath } from "../../src/platform/node/gguf-files.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";
import { isGemmaError } from "../../src/util/errors.js";
import { runCli } from "../helpers/cli.js";

/**
 * EmbeddingGemma from a Hugging Face sentence-transformers folder (scripts/ref/model-embedding-hf-tiny.py: the
 * weights of the tiny GGUF fixture, saved by transformers' Gemma3TextModel with 1_Pooling, 2_Dense, 3_Dense and
 * 4_Normalize modules). Token ids against SentencePiece's (BOS + text + EOS), vectors against transformers'
 * Gemma3TextModel on the folder + mean pooling + the Dense files + Normalize (conventions.md: 1e-4 x the largest
 * component, cosine >= 0.9999), and equal to our vectors of the GGUF twin. sentence-transformers' own
 * SentenceTransformer(folder).encode() on copies of the folder (a small max_seq_length, do_lower_case, no Normalize
 * module): its ids (truncated: BOS, first tokens, EOS) and vectors, same bounds.
 */
interface Case {
  readonly text: string;
  readonly ids: number[];
  readonly transformers: number[];
}
/** SentenceTransformer(copy of the folder with `files` replaced).encode(text): its ids and vector. */
interface SentenceTransformersVariant {
  readonly name: string;
  readonly files: Record<string, string>;
  readonly cases: { readonly text: string; readonly ids: number[]; readonly vector: number[] }[];
}
const golden = JSON.parse(readFileSync("test/golden/model/embedding-hf-tiny.json", "utf8")) as {
  fixture: { folder: string; ggufTwin: string };
  cases: Case[];
  sentenceTransformers: SentenceTransformersVariant[];
};
const FOLDER = golden.fixture.folder;

async function loadFolder(dir: string, backend?: Backend) {
  const folder = await openHfFolderPath(dir);
  try {
    return await loadHfModel(folder, { backend });
  } finally {
    await folder.close();
  }
}

async function loadGguf(path: string, backend?: Backend) {
  const file = await openGgufPath(path);
  try {
    return await loadGgufModel(file, { backend });
  } finally {
    await file.close();
  }
}

function compare(ours: Float32Array, ref: ArrayLike<number>): { maxAbs: number; cosine: number; maxRef: number } {
  assert.equal(ours.length, ref.length);
  let maxAbs = 0;
  let dot = 0;
  let nOurs = 0;
  let nRef = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ours[i]! - ref[i]!));
    dot += ours[i]! * ref[i]!;
    nOurs += ours[i]! * ours[i]!;
    nRef += ref[i]! * ref[i]!;
    maxRef = Math.max(maxRef, Math.abs(ref[i]!));
  }
  return { maxAbs, cosine: dot / Math.sqrt(nOurs * nRef), maxRef };
}

const scratch = mkdtempSync(join(tmpdir(), "gemma-embedding-hf-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the fixture folder with files replaced (relative path -> contents). */
function variantOf(name: string, files: Readonly<Record<string, string | Uint8Array>>): string {
  const dir = join(scratch, name);
  cpSync(FOLDER, dir, { recursive: true });
  for (const [file, contents] of Object.entries(files)) writeFileSync(join(dir, file), contents);
  return dir;
}

/** A copy of the fixture folder with one file replaced. */
function variant(name: string, file: string, contents: string | Uint8Array): string {
  return variantOf(name, { [file]: contents });
}

/** A safetensors file of F32 tensors (header, then the data in order). */
function safetensors(tensors: Record<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

describe("EmbeddingGemma from a Hugging Face folder (tiny random model)", () => {
  it("reads the sentence-transformers layout: bidirectional, mean pooling, the Dense modules, EOS appended", async () => {
    const model = await loadFolder(FOLDER);
    const c = model.config;
    assert.equal(c.architecture, "gemma-embedding");
    assert.equal(c.bidirectional, true);
    assert.equal(c.pooling, "mean");
    assert.deepEqual(model.weights.dense.map((m) => [m.rows, m.cols]), [[128, 64], [64, 128]]);
    // config.json keeps sliding_window 8; transformers masks |i - j| < 8 // 2 + 1, the GGUF twin's window 8
    assert.deepEqual(c.layers.map((l) => l.window), [8, 8, 8, 8, 8, 0]);
    assert.equal(model.info.addEos, true);
  });

  it("reads tensor names with and without the model. prefix alike", async () => {
    // transformers saves a bare Gemma3TextModel without the prefix (the fixture); a checkpoint of
    // Gemma3ForCausalLM has it. Same header with every name prefixed, same data.
    const bytes = readFileSync(join(FOLDER, "model.safetensors"));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Record<string, unknown>;
    assert.ok(Object.keys(header).every((k) => k === "__metadata__" || !k.startsWith("model.")));
    const renamed = Object.fromEntries(Object.entries(header).map(([k, v]) => [k === "__metadata__" ? k : `model.${k}`, v]));
    const json = Buffer.from(JSON.stringify(renamed));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const dir = variant("prefixed", "model.safetensors", Buffer.concat([length, json, bytes.subarray(8 + headerLength)]));
    const [bare, prefixed] = [new GemmaModel(await loadFolder(FOLDER)), new GemmaModel(await loadFolder(dir))];
    const c = golden.cases[0]!;
    assert.deepEqual(prefixed.embed(c.text), bare.embed(c.text));
  });

  it("appends EOS as tokenizer_config.json's add_eos_token says, else as tokenizer.json's post-processor", async () => {
    // A BPE tokenizer.json of a smaller vocabulary (280 pieces, the same ids for <bos> 2 and <eos> 1)
    const json = JSON.parse(readFileSync("test/fixtures/tiny/gemma3-mm-bf16/tokenizer.json", "utf8")) as { post_processor: { single: unknown[] } };
    const bosOnly = JSON.stringify(json);
    json.post_processor.single.push({ SpecialToken: { id: "<eos>", type_id: 0 } });
    const withEos = JSON.stringify(json);
    const folderWith = (name: string, tokenizerJson: string, tokenizerConfig: object) => {
      const dir = variant(name, "tokenizer.json", tokenizerJson);
      rmSync(join(dir, "tokenizer.model"));
      writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(tokenizerConfig));
      return dir;
    };
    const ids = async (dir: string) => new GemmaModel(await loadFolder(dir)).embeddingTokens("hello world");
    const plain = { bos_token: "<bos>", eos_token: "<eos>" };
    const endsWithEos = async (dir: string) => (await ids(dir)).at(-1) === 1;
    assert.equal(await endsWithEos(folderWith("post-eos", withEos, plain)), true);
    assert.equal(await endsWithEos(folderWith("post-bos", bosOnly, plain)), false);
    assert.equal(await endsWithEos(folderWith("flag-off", withEos, { ...plain, add_eos_token: false })), false);
    assert.equal(await endsWithEos(folderWith("flag-on", bosOnly, { ...plain, add_eos_token: true })), true);
  });

  for (const backend of ["ref", "wasm"] as const) {
    it(`${backend} kernels: ids as SentencePiece, vectors as transformers and as the GGUF twin`, async () => {
      const hf = new GemmaModel(await loadFolder(FOLDER, backend), { contextSize: 128 });
      const twin = new GemmaModel(await loadGguf(golden.fixture.ggufTwin, backend), { contextSize: 128 });
      for (const c of golden.cases) {
        const ids = hf.embeddingTokens(c.text);
        assert.deepEqual(ids, c.ids, `ids of ${JSON.stringify(c.text)}`);
        const v = hf.embed(c.text);
        const ref = compare(v, c.transformers);
        assert.ok(ref.maxAbs <= 1e-4 * ref.maxRef && ref.cosine >= 0.9999, `${JSON.stringify(c.text)} vs transformers: ${JSON.stringify(ref)}`);
        const same = compare(v, twin.embed(c.text));
        assert.ok(same.maxAbs <= 1e-6, `${JSON.stringify(c.text)} vs the GGUF twin: ${JSON.stringify(same)}`);
      }
    });
  }

  for (const v of golden.sentenceTransformers) {
    it(`as sentence-transformers encodes it: ${v.name}`, async () => {
      const dir = variantOf(`st-${v.name.replace(/\W+/g, "-")}`, v.files);
      const model = new GemmaModel(await loadFolder(dir), { contextSize: 128 });
      for (const c of v.cases) {
        assert.deepEqual(model.embeddingTokens(c.text), c.ids, `ids of ${JSON.stringify(c.text)}`);
        const r = compare(model.embed(c.text), c.vector);
        assert.ok(r.maxAbs <= 1e-4 * r.maxRef && r.cosine >= 0.9999, `${JSON.stringify(c.text)}: ${JSON.stringify(r)}`);
      }
    });
  }

  it("gemma embed follows the folder's Normalize module unless --normalize / --no-normalize say", async () => {
    const v = golden.sentenceTransformers.find((x) => x.files["modules.json"] !== undefined)!;
    const dir = variant("cli-no-normalize", "modules.json", v.files["modules.json"]!);
    const c = golden.cases[0]!;
    const norm = async (args: string[]) => {
      const r = await runCli(["embed", "-m", dir, "-t", "1", "-p", c.text, "--json", ...args]);
      assert.equal(r.code, 0, r.stderr);
      return Math.hypot(...(JSON.parse(r.stdout) as { embedding: number[] }).embedding);
    };
    assert.ok(Math.abs((await norm([])) - 1) > 0.1);
    assert.ok(Math.abs((await norm(["--normalize"])) - 1) < 1e-5);
  });

  it("refuses a sentence_bert_config.json max_seq_length that is not a positive integer", async () => {
    const dir = variant("bad-max", "sentence_bert_config.json", JSON.stringify({ max_seq_length: 0 }));
    await assert.rejects(
      loadFolder(dir),
      (e: unknown) => isGemmaError(e) && e.code === "HF_BAD_CONFIG" && /sentence_bert_config\.json: "max_seq_length" is number 0, not a positive integer/.test(e.message),
    );
  });

  it("gemma embed -m <folder> prints the transformers vector", async () => {
    const c = golden.cases[1]!;
    const r = await runCli(["embed", "-m", FOLDER, "-t", "1", "-p", c.text, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { dimensions: number; tokens: number; embedding: number[] };
    assert.equal(out.dimensions, c.transformers.length);
    assert.equal(out.tokens, c.ids.length);
    const ref = compare(Float32Array.from(out.embedding), c.transformers);
    assert.ok(ref.maxAbs <= 1e-4 * ref.maxRef && ref.cosine >= 0.9999, JSON.stringify(ref));
  });

  const refusals: readonly (readonly [what: string, dir: () => string, code: string, message: RegExp])[] = [
    [
      "a Dense config with a bias",
      () => variant("bias-config", "2_Dense/config.json", JSON.stringify({ in_features: 64, out_features: 128, bias: true, activation_function: "torch.nn.modules.linear.Identity" })),
      "MODEL_UNSUPPORTED_ARCH",
      /2_Dense\/config\.json: the Dense module has a bias/,
    ],
    [
      "a Dense file with linear.bias",
      () =>
        variant(
          "bias-tensor",
          "3_Dense/model.safetensors",
          safetensors({ "linear.weight": { shape: [64, 128], data: new Float32Array(64 * 128) }, "linear.bias": { shape: [64], data: new Float32Array(64) } }),
        ),
      "MODEL_UNSUPPORTED_ARCH",
      /3_Dense\/config\.json: the Dense module has a bias \(linear\.bias\)/,
    ],
    [
      "a Dense activation other than Identity",
      () => variant("tanh", "2_Dense/config.json", JSON.stringify({ in_features: 64, out_features: 128, bias: false, activation_function: "torch.nn.modules.activation.Tanh" })),
      "MODEL_UNSUPPORTED_ARCH",
      /activation_function "torch\.nn\.modules\.activation\.Tanh" is not supported/,
    ],
    [
      "max pooling",
      () => variant("max", "1_Pooling/config.json", JSON.stringify({ pooling_mode_mean_tokens: false, pooling_mode_max_tokens: true })),
      "MODEL_UNSUPPORTED_ARCH",
      /1_Pooling\/config\.json: pooling pooling_mode_max_tokens is not supported/,
    ],
    [
      "an unknown pooling mode",
      () => variant("unknown", "1_Pooling/config.json", JSON.stringify({ pooling_mode_mean_tokens: true, pooling_mode_geometric: true })),
      "MODEL_UNSUPPORTED_ARCH",
      /pooling pooling_mode_mean_tokens \+ pooling_mode_geometric is not supported/,
    ],
    [
      "a bidirectional model without modules.json",
      () => {
        const dir = variant("no-modules", "modules.json", "");
        rmSync(join(dir, "modules.json"));
        return dir;
      },
      "MODEL_UNSUPPORTED_ARCH",
      /use_bidirectional_attention is true \(EmbeddingGemma\), but the folder has no sentence-transformers Pooling module/,
    ],
  ];
  for (const [what, dir, code, message] of refusals) {
    it(`refuses ${what}, by name`, async () => {
      await assert.rejects(loadFolder(dir()), (e: unknown) => isGemmaError(e) && e.code === code && message.test(e.message));
    });
  }
});
