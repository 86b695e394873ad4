import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { startWebServer, type WebServer } from "../../src/platform/node/web-server.js";
import { BROWSER_DIST } from "./build.js";
import { browserSuite, LIBRARY, MAX_TOKENS, openPage, PROMPTS, type Library } from "./harness.js";

/*
 * The browser build in headless Chromium against the Node engine on the same file: the page loads the default
 * model from a loopback server that answers range requests (counted here), and its greedy tokens must equal
 * Node's. One browser serves every test; each test gets its own context (its own cache storage) unless it is
 * the "second visit". These tests run the library on the page's main thread (loadModel) and the demo page, which
 * runs it in the engine worker (engine-worker.test.ts tests the worker itself).
 */

interface ModelRequest {
  readonly range: string | undefined;
  readonly bytes: number;
  readonly status: number;
}

interface PageRun {
  readonly isolated: boolean;
  readonly threads: number;
  readonly tokens: number[][];
  /** The last progress event of each phase: [loadedBytes, totalBytes, fromCache]. */
  readonly progress: Record<string, [number, number, boolean | undefined]>;
}

const suite = browserSuite();

async function serve(isolation: boolean, requests: ModelRequest[]): Promise<WebServer> {
  const server = await startWebServer({ root: BROWSER_DIST, modelPath: suite.modelPath, isolation, onModelRequest: (r) => requests.push(r) });
  suite.closeAfter(server);
  return server;
}

/** Loads the model in the page through the library bundle and returns the greedy tokens of every prompt. */
function greedyInPage(page: Page, modelUrl: string, opts: { threads: number; cache: boolean }): Promise<PageRun> {
  return page.evaluate(
    async ({ library, modelUrl, opts, prompts, maxTokens }) => {
      const gemma = (await import(library)) as Library;
      const progress: PageRun["progress"] = {};
      const model = await gemma.loadModel(modelUrl, {
        threads: opts.threads,
        cache: opts.cache,
        contextSize: 256,
        onProgress: (p) => void (progress[p.phase] = [p.loadedBytes, p.totalBytes, p.fromCache]),
      });
      const tokens: number[][] = [];
      for (const prompt of prompts) tokens.push([...(await model.generate(prompt, { maxTokens, temperature: 0 }).finished()).tokens]);
      await gemma.closeModel(model);
      return { isolated: globalThis.crossOriginIsolated, threads: model.options.threads ?? 0, tokens, progress };
    },
    { library: LIBRARY, modelUrl, opts, prompts: PROMPTS, maxTokens: MAX_TOKENS },
  );
}

/** The greedy tokens of every prompt from the model the demo page loaded (in its engine worker). */
function greedyOfDemoModel(page: Page): Promise<number[][]> {
  return page.evaluate(
    async ({ prompts, maxTokens }) => {
      const model = (window as unknown as { gemmaDemo: { model: InstanceType<Library["RemoteModel"]> } }).gemmaDemo.model;
      const out: number[][] = [];
      for (const p of prompts) out.push([...(await model.generate(p, { maxTokens, temperature: 0 }).finished()).tokens]);
      return out;
    },
    { prompts: PROMPTS, maxTokens: MAX_TOKENS },
  );
}

test("bundle: no Node built-in is imported, the build refuses one, and the sizes are reported", (t) => {
  const out = mkdtempSync(join(tmpdir(), "gemma-browser-"));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const build = spawnSync(process.execPath, ["scripts/build-browser.mjs", "--out", out], { encoding: "utf8" });
  assert.equal(build.status, 0, `build-browser failed:\n${build.stderr}`);
  process.stderr.write(build.stdout);
  assert.match(build.stdout, /gemma\.js\s+[\d.]+ KiB/);

  // the check this test trusts is its own: every import the output files keep
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const js = readdirSync(out).filter((f) => f.endsWith(".js"));
  assert.deepEqual([...js].sort(), ["app.js", "engine-worker.js", "gemma.js", "kernel-worker.js"]);
  for (const name of js) {
    const text = readFileSync(join(out, name), "utf8");
    // every module specifier of a static or dynamic import, and any CommonJS require
    const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["'`]([^"'`]+)["'`]/g)].map((m) => m[1]!);
    for (const s of specifiers) assert.ok(!builtins.has(s.split("/")[0]!) && !s.startsWith("node:"), `${name} imports ${s}`);
    assert.deepEqual(specifiers.filter((s) => s !== "./gemma.js"), [], `${name} imports only the library bundle`);
    assert.doesNotMatch(text, /\brequire\s*\(/, `${name} calls require()`);
  }

  // and the build itself fails on a module that imports one
  const probe = join(out, "probe.ts");
  writeFileSync(probe, 'import { readFileSync } from "node:fs";\nexport const read = readFileSync;\n');
  const refused = spawnSync(process.execPath, ["scripts/build-browser.mjs", "--out", join(out, "probe-out"), "--entry", probe], { encoding: "utf8" });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /probe\.ts imports "node:fs"/);
});

let isolatedServer: WebServer;
let isolatedContext: BrowserContext;
const isolatedRequests: ModelRequest[] = [];

test("an isolated page on 2 threads loads the model by range requests; its greedy tokens equal Node's", async () => {
  isolatedServer = await serve(true, isolatedRequests);
  isolatedContext = await suite.newContext();
  const page = await openPage(isolatedContext, `${isolatedServer.url}/`);
  const run = await greedyInPage(page, isolatedServer.modelUrl!, { threads: 2, cache: true });
  assert.equal(run.isolated, true);
  assert.equal(run.threads, 2);
  assert.deepEqual(run.tokens, suite.expected);
  assert.deepEqual(run.progress.download, [suite.modelSize, suite.modelSize, undefined], "the download reported up to the whole file");
  const [loaded, total, fromCache] = run.progress.load!;
  assert.ok(loaded === total && total > 0.9 * suite.modelSize && fromCache === false, `load progress ${run.progress.load}`);
  assert.ok(isolatedRequests.length > 1, "the file was read in several requests");
  for (const r of isolatedRequests) {
    assert.match(r.range ?? "", /^bytes=\d+-\d+$/, "every model request asks for a range");
    assert.equal(r.status, 206);
  }
  const sent = isolatedRequests.reduce((s, r) => s + r.bytes, 0);
  assert.ok(sent >= suite.modelSize && sent < suite.modelSize * 1.1, `${sent} bytes sent for a ${suite.modelSize}-byte file`);
  await page.close();
});

test("a second visit loads from the cache, checking only the file's version, and the demo chats with streamed output and stops", async () => {
  assert.ok(isolatedContext, "runs after the first visit");
  const before = isolatedRequests.length;
  const page = await openPage(isolatedContext, `${isolatedServer.url}/`);
  await page.waitForFunction(() => (document.getElementById("model-url") as HTMLInputElement).value !== "");
  await page.click("#load");
  await page.waitForFunction(() => /^(Ready|Could not)/.test(document.getElementById("status")!.textContent ?? ""), undefined, { timeout: 60_000 });
  assert.match((await page.textContent("#status"))!, /^Ready: .* \d thread\(s\)/);
  assert.deepEqual(
    isolatedRequests.slice(before).map((r) => [r.range, r.bytes]),
    [["bytes=0-0", 1]],
    "on the second visit one byte is asked for, to check the cached copy is still the server's version",
  );

  await page.selectOption("#mode", "complete");
  await page.fill("#prompt", "The three primary colours are");
  await page.click("#send");
  // stop as soon as a few tokens have streamed in
  await page.waitForFunction(() => (document.querySelector(".message.model")?.textContent ?? "").length > "The three primary colours are".length + 5);
  await page.click("#stop");
  await page.waitForSelector(".message.model.done");
  assert.match((await page.textContent(".message.model"))!, /^The three primary colours are\S*\s*\S/);
  assert.match((await page.textContent("#stats"))!, /\d+ tokens at [\d.]+ tokens\/s .* stopped$/);
  assert.deepEqual(await greedyOfDemoModel(page), suite.expected, "the model the page loaded from the cache gives Node's tokens");
  await page.close();
});

test("a model picked from the disk (file picker) loads without any request and gives the same tokens", async () => {
  const before = isolatedRequests.length;
  const page = await openPage(isolatedContext, `${isolatedServer.url}/`);
  await page.setInputFiles("#model-file", suite.modelPath);
  await page.waitForFunction(() => /^(Ready|Could not)/.test(document.getElementById("status")!.textContent ?? ""), undefined, { timeout: 60_000 });
  assert.match((await page.textContent("#status"))!, /^Ready: gemma-3-270m/);
  assert.deepEqual(await greedyOfDemoModel(page), suite.expected);
  assert.deepEqual(isolatedRequests.slice(before), [], "a picked file is read locally");
  await page.close();
});

test("a model the browser cannot give memory to is a clear MODEL_BAD_CONFIG error", async () => {
  const page = await openPage(isolatedContext, `${isolatedServer.url}/`);
  const error = await page.evaluate(async ({ library, modelUrl }) => {
    const gemma = (await import(library)) as Library;
    // What Chromium throws when it cannot reserve a memory (v8: "WebAssembly.Memory(): could not allocate memory").
    WebAssembly.Memory = function () {
      throw new RangeError("WebAssembly.Memory(): could not allocate memory");
    } as unknown as typeof WebAssembly.Memory;
    try {
      await gemma.loadModel(modelUrl, { threads: 1 });
      return undefined;
    } catch (e) {
      return { code: (e as { code?: string }).code, message: String((e as Error).message) };
    }
  }, { library: LIBRARY, modelUrl: isolatedServer.modelUrl! });
  assert.equal(error?.code, "MODEL_BAD_CONFIG");
  assert.match(error.message, /could not provide [\d.]+ GiB of WebAssembly memory \(WebAssembly\.Memory\(\): could not allocate memory\)/);
  await page.close();
});

/**
 * A GGUF v3 header declaring one F32 tensor of 65536 x 16385 (just over 4 GiB), no metadata; the data is left
 * to a sparse file (ggml-org/llama.cpp:ggml/src/gguf.cpp gives the layout: magic, version, counts, tensor infos).
 */
function hugeGgufHeader(): Buffer {
  const name = Buffer.from("token_embd.weight");
  const parts = [Buffer.from("GGUF"), u32(3), u64(1), u64(0), u64(name.length), name, u32(2), u64(65536), u64(16385), u32(0), u64(0)];
  return Buffer.concat(parts);
}
const u32 = (v: number) => Buffer.from(new Uint32Array([v]).buffer);
const u64 = (v: number) => Buffer.from(new BigUint64Array([BigInt(v)]).buffer);

test("a model with a tensor larger than one WebAssembly memory is refused from its header, before any download", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-huge-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "huge.gguf");
  const header = hugeGgufHeader();
  writeFileSync(path, header);
  truncateSync(path, Math.ceil(header.length / 32) * 32 + 65536 * 16385 * 4);
  const requests: ModelRequest[] = [];
  const server = await startWebServer({ root: BROWSER_DIST, modelPath: path, onModelRequest: (r) => requests.push(r) });
  suite.closeAfter(server);
  const context = await suite.newContext();
  const page = await openPage(context, `${server.url}/`);
  const error = await page.evaluate(async ({ library, modelUrl }) => {
    const gemma = (await import(library)) as Library;
    return gemma.loadModel(modelUrl).then(
      () => undefined,
      (e: { code?: string; message?: string }) => ({ code: e.code, message: String(e.message) }),
    );
  }, { library: LIBRARY, modelUrl: server.modelUrl! });
  assert.equal(error?.code, "MODEL_BAD_CONFIG");
  assert.match(error.message, /huge\.gguf: tensor token_embd\.weight takes 4\.00 GiB, more than the 3\.50 GiB of weights one WebAssembly memory holds/);
  const sent = requests.reduce((s, r) => s + r.bytes, 0);
  assert.ok(sent < 1 << 20, `only the header was read (${sent} bytes)`);
  await page.close();
});

test("without cross-origin isolation one thread reading ranges straight into memory gives the same tokens", async () => {
  const requests: ModelRequest[] = [];
  const server = await serve(false, requests);
  const context = await suite.newContext();
  const page = await openPage(context, `${server.url}/`);
  const run = await greedyInPage(page, server.modelUrl!, { threads: 2, cache: false });
  assert.equal(run.isolated, false);
  assert.equal(run.threads, 1, "no SharedArrayBuffer: one thread whatever was asked");
  assert.deepEqual(run.tokens, suite.expected);
  assert.equal(run.progress.download, undefined, "nothing goes into a cache");
  assert.ok(requests.every((r) => r.status === 206));
  const sent = requests.reduce((s, r) => s + r.bytes, 0);
  // each byte once, but for the header reader's read-ahead (at most 1 MiB past the header)
  assert.ok(sent >= suite.modelSize - (1 << 20) && sent <= suite.modelSize + (1 << 20), `${sent} bytes read of a ${suite.modelSize}-byte file`);
  await page.close();
});
