import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { startWebServer } from "../../src/platform/node/web-server.js";
import { BROWSER_DIST } from "./build.js";
import { browserSuite, LIBRARY, MAX_TOKENS, openPage, PROMPTS, type Library } from "./harness.js";

/*
 * The engine in a Web Worker (createEngineWorker from the browser bundle) in headless Chromium: its greedy tokens
 * must equal the Node engine's on the same file, with the kernel pool started from the worker (2 threads, cross-
 * origin isolated) and on the worker alone (no isolation); while it computes, the page's own timer keeps ticking;
 * abort, progress and typed errors cross the boundary.
 */

interface WorkerRun {
  readonly isolated: boolean;
  readonly threads: number;
  readonly tokens: number[][];
  /** The last progress event of each phase: [loadedBytes, totalBytes, fromCache]. */
  readonly progress: Record<string, [number, number, boolean | undefined]>;
}

const suite = browserSuite();

async function pageOn(isolation: boolean): Promise<Page> {
  const server = await startWebServer({ root: BROWSER_DIST, modelPath: suite.modelPath, isolation });
  suite.closeAfter(server);
  const context = await suite.newContext();
  const page = await openPage(context, `${server.url}/`);
  // the model's URL, relative to the page (the engine worker must resolve it against the page, not itself)
  await page.evaluate((path) => void ((window as unknown as { modelPath: string }).modelPath = path), new URL(server.modelUrl!).pathname);
  return page;
}

/** Loads the model in an engine worker (kept as window.engineModel) and returns the greedy tokens of every prompt. */
function greedyInWorker(page: Page, threads: number): Promise<WorkerRun> {
  return page.evaluate(
    async ({ library, threads, prompts, maxTokens }) => {
      const gemma = (await import(library)) as Library;
      const engine = gemma.createEngineWorker();
      const progress: WorkerRun["progress"] = {};
      const model = await engine.load((window as unknown as { modelPath: string }).modelPath, {
        threads,
        contextSize: 512,
        onProgress: (p) => void (progress[p.phase] = [p.loadedBytes, p.totalBytes, p.fromCache]),
      });
      (window as unknown as { engineModel: typeof model }).engineModel = model;
      const tokens: number[][] = [];
      for (const prompt of prompts) tokens.push([...(await model.generate(prompt, { maxTokens, temperature: 0 }).finished()).tokens]);
      return { isolated: globalThis.crossOriginIsolated, threads: model.threads, tokens, progress };
    },
    { library: LIBRARY, threads, prompts: PROMPTS, maxTokens: MAX_TOKENS },
  );
}

let isolatedPage: Page;

test("an engine worker on 2 threads (isolated page) gives Node's greedy tokens, with its progress reported", async () => {
  isolatedPage = await pageOn(true);
  const run = await greedyInWorker(isolatedPage, 2);
  assert.equal(run.isolated, true);
  assert.equal(run.threads, 2, "the worker started a kernel pool of 2 threads");
  assert.deepEqual(run.tokens, suite.expected);
  assert.deepEqual(run.progress.download, [suite.modelSize, suite.modelSize, undefined], "the download reported up to the whole file");
  const [loaded, total, fromCache] = run.progress.load!;
  assert.ok(loaded === total && total > 0.9 * suite.modelSize && fromCache === false, `load progress ${run.progress.load}`);
});

test("the page's own timer keeps ticking while the worker pre-fills and generates", async () => {
  const ticks = await isolatedPage.evaluate(async () => {
    const model = (window as unknown as { engineModel: InstanceType<Library["RemoteModel"]> }).engineModel;
    let count = 0;
    const timer = setInterval(() => count++, 0);
    // a long prompt: its pre-fill is one long computation, which on this thread would let no timer run
    const prompt = "Describe the water cycle in detail. ".repeat(24);
    const atStart = count;
    let atFirstChunk: number | undefined;
    const stream = model.generate(prompt, { maxTokens: 12, temperature: 0 });
    for await (const _ of stream) atFirstChunk ??= count;
    const result = await stream.finished();
    clearInterval(timer);
    return { duringPrefill: (atFirstChunk ?? count) - atStart, total: count - atStart, tokens: result.tokens.length, promptTokens: result.promptTokens };
  });
  assert.ok(ticks.promptTokens > 150, `a long prompt (${ticks.promptTokens} tokens)`);
  assert.ok(ticks.duringPrefill > 0, `the page's timer ran during the worker's pre-fill (${ticks.duringPrefill} ticks)`);
  assert.ok(ticks.total > ticks.duringPrefill, `and during the generation (${ticks.total} ticks, ${ticks.tokens} tokens)`);
});

test("abort stops a generation in the worker, which then serves the next one exactly", async () => {
  const run = await isolatedPage.evaluate(
    async ({ prompts, maxTokens }) => {
      const model = (window as unknown as { engineModel: InstanceType<Library["RemoteModel"]> }).engineModel;
      const stream = model.generate("Once upon a time", { maxTokens: 200, temperature: 0 });
      let chunks = 0;
      for await (const _ of stream) if (++chunks === 3) stream.abort();
      const stopped = await stream.finished();
      // an AbortSignal does the same; leaving the loop early too
      const controller = new AbortController();
      const viaSignal = model.generate("Once upon a time", { maxTokens: 200, temperature: 0, signal: controller.signal });
      for await (const _ of viaSignal) controller.abort();
      const left = model.chat().send("Hello!", { maxTokens: 200 });
      for await (const _ of left) break;
      const next = await model.generate(prompts[0]!, { maxTokens, temperature: 0 }).finished();
      return { stopped, signalled: await viaSignal.finished(), left: await left.finished(), next: [...next.tokens] };
    },
    { prompts: PROMPTS, maxTokens: MAX_TOKENS },
  );
  assert.equal(run.stopped.finishReason, "abort");
  assert.ok(run.stopped.tokens.length >= 3 && run.stopped.tokens.length < 200, `${run.stopped.tokens.length} tokens before the abort took`);
  assert.equal(run.signalled.finishReason, "abort");
  assert.equal(run.left.finishReason, "abort");
  assert.deepEqual(run.next, suite.expected[0], "the worker is free and exact after the aborts");
});

test("errors cross as GemmaErrors with their codes; aborting a load stops it", async () => {
  const errors = await isolatedPage.evaluate(async (library) => {
    const gemma = (await import(library)) as Library;
    const model = (window as unknown as { engineModel: InstanceType<Library["RemoteModel"]> }).engineModel;
    const caught = (e: unknown) => ({ gemma: e instanceof gemma.GemmaError, code: (e as { code?: string }).code, name: (e as Error).name, message: (e as Error).message });
    const badOption = await model.generate("Hi", { maxTokens: 0 }).finished().then(() => undefined, caught);
    const engine = gemma.createEngineWorker();
    const missing = await engine.load("/models/no-such-model.gguf").then(() => undefined, caught);
    const controller = new AbortController();
    const loading = engine.load((window as unknown as { modelPath: string }).modelPath, { signal: controller.signal, cache: false });
    controller.abort();
    const aborted = await loading.then(() => undefined, caught);
    engine.terminate();
    const afterTerminate = await engine.load("/models/x.gguf").then(() => undefined, caught);
    return { badOption, missing, aborted, afterTerminate };
  }, LIBRARY);
  assert.deepEqual(errors.badOption, { gemma: true, code: "BAD_PROMPT", name: "GemmaError", message: "maxTokens must be an integer >= 1, got 0" });
  assert.equal(errors.missing?.code, "SOURCE_NOT_FOUND");
  assert.match(errors.missing!.message, /no-such-model\.gguf: not found \(HTTP 404\)/);
  assert.equal(errors.aborted?.name, "AbortError");
  assert.equal(errors.afterTerminate?.code, "MODEL_BAD_CONFIG");
});

test("without cross-origin isolation the engine worker computes on one thread and gives the same tokens", async () => {
  const page = await pageOn(false);
  const run = await greedyInWorker(page, 2);
  assert.equal(run.isolated, false);
  assert.equal(run.threads, 1, "no SharedArrayBuffer: one thread whatever was asked");
  assert.deepEqual(run.tokens, suite.expected);
});
