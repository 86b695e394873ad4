import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeSync, closeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { browserSuite, LIBRARY, MAX_TOKENS, nodeGreedy, openPage, PROMPTS, type Library } from "./harness.js";
import { startModelServer, type ModelServer } from "./model-server.js";

/*
 * Model downloads into the browser's cache that are cut off (the test server breaks the connection after a set
 * number of bytes) resume on the next visit from the chunks already stored: the server counts every byte it
 * sends, and the model loaded after the resume must give the Node engine's greedy tokens on the same file. A file
 * replaced on the server (a new ETag, same size) must not be put together with chunks of the old one.
 */

const suite = browserSuite();
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "gemma-resume-"));
});

after(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function visit(server: ModelServer, context: BrowserContext): Promise<Page> {
  return openPage(context, `${server.url}/`);
}

type LoadOutcome = { tokens: number[][]; fromCache: boolean | undefined } | { code: string | undefined; message: string };

/** One visit: loads the model in an engine worker (cached) and returns its greedy tokens, or the load's error. */
function loadInWorker(page: Page, modelUrl: string): Promise<LoadOutcome> {
  return page.evaluate(
    async ({ library, modelUrl, prompts, maxTokens }) => {
      const gemma = (await import(library)) as Library;
      const engine = gemma.createEngineWorker();
      let fromCache: boolean | undefined;
      try {
        const model = await engine.load(modelUrl, { threads: 1, contextSize: 256, onProgress: (p) => void (p.phase === "load" && (fromCache = p.fromCache)) });
        const tokens: number[][] = [];
        for (const prompt of prompts) tokens.push([...(await model.generate(prompt, { maxTokens, temperature: 0 }).finished()).tokens]);
        return { tokens, fromCache };
      } catch (e) {
        return { code: (e as { code?: string }).code, message: String((e as Error).message) };
      } finally {
        engine.terminate();
      }
    },
    { library: LIBRARY, modelUrl, prompts: PROMPTS, maxTokens: MAX_TOKENS },
  );
}

test("a download cut off halfway resumes on the next visit (about one file's bytes in all), and the copy serves offline", async () => {
  const server = await startModelServer(suite.modelPath, '"original"');
  suite.closeAfter(server);
  const context = await suite.newContext();
  server.breakAfter = Math.floor(suite.modelSize / 2);
  const first = await loadInWorker(await visit(server, context), server.modelUrl);
  assert.ok("code" in first, "the first visit fails");
  assert.equal(first.code, "DOWNLOAD_FAILED", first.message);
  const firstBytes = server.sent;

  server.breakAfter = undefined;
  const second = await loadInWorker(await visit(server, context), server.modelUrl);
  assert.ok("tokens" in second, `the second visit loads: ${JSON.stringify(second)}`);
  assert.deepEqual(second.tokens, suite.expected);
  assert.equal(second.fromCache, false, "part of it was downloaded on this visit");
  const secondBytes = server.sent - firstBytes;
  assert.ok(secondBytes < suite.modelSize - firstBytes / 2, `the second visit fetched ${secondBytes} bytes, the first ${firstBytes}: it resumed`);
  assert.ok(server.sent < suite.modelSize * 1.1, `${server.sent} bytes sent in all for a ${suite.modelSize}-byte file`);

  // a third visit checks the version with one byte and downloads nothing
  const third = await loadInWorker(await visit(server, context), server.modelUrl);
  assert.ok("tokens" in third && third.fromCache === true);
  assert.deepEqual(third.tokens, suite.expected);
  assert.ok(server.sent - firstBytes - secondBytes <= 1, "only the version probe");

  // offline (the version cannot be checked), the whole cached copy is used as it is
  server.offline = true;
  const offline = await loadInWorker(await visit(server, context), server.modelUrl);
  assert.ok("tokens" in offline && offline.fromCache === true, `offline: ${JSON.stringify(offline)}`);
  assert.deepEqual(offline.tokens, suite.expected);
});

/** Where the little-endian float32 value of GGUF key `key` sits (after the key, its value type, 6 = float32). */
function float32ValueOffset(path: string, key: string): number {
  const head = Buffer.alloc(1 << 16);
  const fd = openSync(path, "r");
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const at = head.indexOf(Buffer.from(key));
  assert.ok(at > 0 && head.readUInt32LE(at + key.length) === 6, `${key} is a float32 near the start of the file`);
  return at + key.length + 4;
}

test("a file replaced on the server (new ETag) is downloaded anew, never mixed with the old one's chunks", async () => {
  // the same file but for the global layers' RoPE base (in the header, so in the first cached chunk)
  const changed = join(dir, "changed.gguf");
  copyFileSync(suite.modelPath, changed);
  const fd = openSync(changed, "r+");
  const value = Buffer.alloc(4);
  value.writeFloatLE(10_000);
  writeSync(fd, value, 0, 4, float32ValueOffset(changed, "gemma3.rope.freq_base"));
  closeSync(fd);
  const changedExpected = await nodeGreedy(changed);
  assert.notDeepEqual(changedExpected, suite.expected, "the change shows in the tokens");

  const server = await startModelServer(suite.modelPath, '"v1"');
  suite.closeAfter(server);
  const context = await suite.newContext();
  server.breakAfter = Math.floor(suite.modelSize / 2);
  const first = await loadInWorker(await visit(server, context), server.modelUrl);
  assert.ok("code" in first && first.code === "DOWNLOAD_FAILED");
  const firstBytes = server.sent;

  server.breakAfter = undefined;
  server.serve(changed, '"v2"');
  const second = await loadInWorker(await visit(server, context), server.modelUrl);
  assert.ok("tokens" in second, `the second visit loads: ${JSON.stringify(second)}`);
  assert.deepEqual(second.tokens, changedExpected, "the new file's tokens, not a mix");
  assert.ok(server.sent - firstBytes >= suite.modelSize, "the new file was downloaded whole");
});
