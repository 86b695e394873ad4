import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Progress } from "../../src/platform/node/sources/progress.js";
import { resolveModel, type ResolveOptions } from "../../src/platform/node/sources/resolve.js";
import { isGemmaError } from "../../src/util/errors.js";
import { sha256, startMockHub, type MockHub } from "./mock-hub.js";

const GGUF_MAGIC = Buffer.from("GGUF");
const gguf = (n: number) => Buffer.concat([GGUF_MAGIC, randomBytes(n - 4)]);

const q4 = gguf(300_000);
const q8 = gguf(500_000);
const gated = gguf(10_000);
const shards = [gguf(120_000), randomBytes(90_000), randomBytes(70_000)];
const folder = {
  "config.json": Buffer.from(JSON.stringify({ architectures: ["Gemma3ForCausalLM"] })),
  "tokenizer.json": Buffer.from("{}"),
  "model-00001-of-00002.safetensors": randomBytes(40_000),
  "model-00002-of-00002.safetensors": randomBytes(30_000),
  "model.safetensors.index.json": Buffer.from("{}"),
  "README.md": Buffer.from("# readme"),
};

let hub: MockHub;
let home: string;
before(async () => {
  hub = await startMockHub({
    "org/model-GGUF": {
      files: {
        "README.md": Buffer.from("# model"),
        "model-Q4_K_M.gguf": q4,
        "model-Q8_0.gguf": q8,
        "mmproj-model-f16.gguf": gguf(1000),
      },
      gitFiles: ["README.md"],
    },
    "org/split-GGUF": {
      files: Object.fromEntries(shards.map((b, i) => [`Q4_K_M/model-Q4_K_M-0000${i + 1}-of-00003.gguf`, b])),
    },
    "org/folder": { files: folder, gitFiles: ["config.json", "tokenizer.json", "model.safetensors.index.json", "README.md"] },
    "org/gated": { files: { "gated-Q4_K_M.gguf": gated }, gatedToken: "let-me-in" },
    "org/lying": { files: { "lying-Q4_K_M.gguf": gguf(50_000) }, lyingSha: ["lying-Q4_K_M.gguf"] },
    "org/mirror": {
      files: { "good-Q4_K_M.gguf": gguf(20_000), "bad-Q8_0.gguf": gguf(20_000) },
      etagSha: ["good-Q4_K_M.gguf", "bad-Q8_0.gguf"],
      lyingSha: ["bad-Q8_0.gguf"],
    },
    "org/resume": { files: { "resume-Q4_K_M.gguf": q8 } },
  });
  home = await mkdtemp(join(tmpdir(), "gemma-hf-"));
});
after(async () => {
  await hub.close();
  await rm(home, { recursive: true, force: true });
});

function opts(extra: Partial<ResolveOptions> = {}): ResolveOptions {
  return { home, hfEndpoint: hub.endpoint, hfToken: "", ...extra };
}

function since(mark: number) {
  return hub.requests.slice(mark);
}

async function ggufPath(name: string, o: ResolveOptions = opts()): Promise<string> {
  const r = await resolveModel(name, o);
  assert.equal(r.kind, "gguf");
  return r.kind === "gguf" ? r.path : "";
}

test("default pick: follows the redirect, keeps the token off the CDN, then resolves offline", async () => {
  const mark = hub.requests.length;
  const path = await ggufPath("hf:org/model-GGUF", opts({ hfToken: "secret" }));
  assert.ok((await readFile(path)).equals(q4));
  assert.ok(path.endsWith(join("hf", "org", "model-GGUF", "model-Q4_K_M.gguf")));
  const used = since(mark);
  assert.ok(used.some((r) => r.server === "cdn"), "downloaded from the CDN");
  for (const r of used) assert.equal(r.authorization, r.server === "hub" ? "Bearer secret" : undefined, `${r.server} ${r.path}`);
  const again = hub.requests.length;
  assert.equal(await ggufPath("hf:org/model-GGUF", opts({ allowDownload: false })), path);
  assert.equal(hub.requests.length, again, "no request for a cached model");
});

test("a quant tag picks its file; a dropped connection is resumed with Range", async () => {
  hub.fault("org/model-GGUF", "model-Q8_0.gguf", { atByte: 200_000, kind: "drop" });
  const notes: string[] = [];
  const mark = hub.requests.length;
  const path = await ggufPath("hf:org/model-GGUF:q8_0", opts({ onProgress: (p: Progress) => p.type === "note" && notes.push(p.message) }));
  assert.ok((await readFile(path)).equals(q8));
  const ranges = since(mark).filter((r) => r.server === "cdn").map((r) => r.range);
  assert.equal(ranges[0], undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? "")?.[1]);
  assert.ok(resumedAt > 0 && resumedAt <= 200_000, `resumed at ${ranges[1]}`);
  assert.ok(notes.some((n) => /connection lost|ended at byte/.test(n)), notes.join("\n"));
});

test("a complete .part left behind is finished through a 416 answer", async () => {
  const dir = join(home, "models", "hf", "org", "resume");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "resume-Q4_K_M.gguf.part"), q8);
  const mark = hub.requests.length;
  const path = await ggufPath("hf:org/resume");
  assert.ok((await readFile(path)).equals(q8));
  assert.deepEqual(since(mark).filter((r) => r.server === "cdn").map((r) => r.range), [`bytes=${q8.length}-`]);
});

test("a .part holding other bytes fails the checksum after resuming and is fetched again from the start", async () => {
  await rm(join(home, "manifests"), { recursive: true, force: true });
  const dir = join(home, "models", "hf", "org", "resume");
  await rm(join(dir, "resume-Q4_K_M.gguf"));
  await writeFile(join(dir, "resume-Q4_K_M.gguf.part"), randomBytes(100_000));
  const notes: string[] = [];
  const path = await ggufPath("hf:org/resume", opts({ onProgress: (p) => p.type === "note" && notes.push(p.message) }));
  assert.ok((await readFile(path)).equals(q8));
  assert.ok(notes.some((n) => /checksum mismatch after resuming/.test(n)), notes.join("\n"));
});

test("a split GGUF downloads every shard and resolves to the first", async () => {
  const path = await ggufPath("hf:org/split-GGUF");
  assert.ok(path.endsWith("model-Q4_K_M-00001-of-00003.gguf"));
  for (const [i, bytes] of shards.entries()) {
    assert.ok((await readFile(path.replace("00001-of", `0000${i + 1}-of`))).equals(bytes), `shard ${i + 1}`);
  }
});

test("a safetensors repo becomes a Hugging Face folder with only the model files", async () => {
  const r = await resolveModel("hf:org/folder", opts());
  assert.equal(r.kind, "hf-folder");
  if (r.kind !== "hf-folder") return;
  const expected = Object.keys(folder).filter((f) => f !== "README.md").sort();
  assert.deepEqual((await readdir(r.dir)).sort(), expected);
  for (const f of expected) assert.ok((await readFile(join(r.dir, f))).equals(folder[f as keyof typeof folder]), f);
});

test("a gated model without a token says how to get access; with the token it downloads", async () => {
  await assert.rejects(resolveModel("hf:org/gated", opts()), (e: unknown) => {
    assert.ok(isGemmaError(e) && e.code === "DOWNLOAD_UNAUTHORIZED", String(e));
    assert.match(e.message, new RegExp(`this model is gated: accept its licence at ${hub.endpoint}/org/gated and set HF_TOKEN`));
    return true;
  });
  const path = await ggufPath("hf:org/gated", opts({ hfToken: "let-me-in" }));
  assert.equal(sha256(await readFile(path)), sha256(gated));
});

test("a missing repo or quant is SOURCE_NOT_FOUND", async () => {
  await assert.rejects(resolveModel("hf:org/nothing", opts()), (e: unknown) => isGemmaError(e) && e.code === "SOURCE_NOT_FOUND" && /no such repository/.test(e.message));
  await assert.rejects(resolveModel("hf:org/model-GGUF:Q2_K", opts()), (e: unknown) => isGemmaError(e) && e.code === "SOURCE_NOT_FOUND");
  await assert.rejects(resolveModel("hf:org/split-GGUF:Q8_0", opts({ allowDownload: false })), (e: unknown) => isGemmaError(e) && e.code === "SOURCE_NOT_FOUND" && /gemma pull/.test(e.message));
});

test("a wrong sha256 is DOWNLOAD_CHECKSUM and nothing is kept", async () => {
  await assert.rejects(resolveModel("hf:org/lying", opts()), (e: unknown) => isGemmaError(e) && e.code === "DOWNLOAD_CHECKSUM" && /not kept/.test(e.message));
  assert.deepEqual(await readdir(join(home, "models", "hf", "org", "lying")), []);
  await assert.rejects(resolveModel("hf:org/lying", opts({ allowDownload: false })), (e: unknown) => isGemmaError(e) && e.code === "SOURCE_NOT_FOUND");
});

test("without LFS data in the listing, a sha256 etag from the hub is checked", async () => {
  assert.ok(await ggufPath("hf:org/mirror"));
  await assert.rejects(resolveModel("hf:org/mirror:Q8_0", opts()), (e: unknown) => isGemmaError(e) && e.code === "DOWNLOAD_CHECKSUM");
});
