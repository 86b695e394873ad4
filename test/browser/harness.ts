import { statSync } from "node:fs";
import { after, before } from "node:test";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { loadModel } from "../../src/platform/node/load-model.js";
import { defaultModelPath } from "../helpers/model.js";
import { ensureBrowserBuild } from "./build.js";

/** Prompts whose greedy tokens the page must reproduce (each runs MAX_TOKENS tokens without an early stop). */
export const PROMPTS = ["The capital of France is", "def fibonacci(n):\n", "Once upon a time, in a small village,"];
export const MAX_TOKENS = 8;
/** The library bundle as the page imports it (typed as its sources). */
export const LIBRARY = "/gemma.js";
export type Library = typeof import("../../src/platform/browser/index.js");

/** The Node engine's greedy tokens of every prompt on `path`: what every page run is compared against. */
export async function nodeGreedy(path: string): Promise<number[][]> {
  const node = await loadModel(path, { threads: 1, contextSize: 256 });
  const out: number[][] = [];
  for (const prompt of PROMPTS) out.push([...(await node.generate(prompt, { maxTokens: MAX_TOKENS, temperature: 0 }).finished()).tokens]);
  return out;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
}

export async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  // tsx compiles the tests keeping function names, which wraps the functions passed to page.evaluate in a
  // __name(fn, "name") helper; the page gets a stand-in that leaves them as they are.
  await page.addInitScript({ content: "globalThis.__name = (fn) => fn;" });
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  await page.goto(url);
  return page;
}

/** What every browser test file shares: the default model and Node's greedy tokens on it, one Chromium, cleanup. */
export interface BrowserSuite {
  readonly modelPath: string;
  readonly modelSize: number;
  /** Node's greedy tokens of PROMPTS on the model. */
  readonly expected: number[][];
  /** A fresh browser context (its own cache storage), closed after the file's tests. */
  newContext(): Promise<BrowserContext>;
  /** Keeps `server` open until the file's tests are over. */
  closeAfter<S extends { close(): Promise<void> }>(server: S): S;
}

/** Registers the file's before/after hooks: the browser build, the model, Chromium. */
export function browserSuite(): BrowserSuite {
  let modelPath = "";
  let modelSize = 0;
  let expected: number[][] = [];
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const servers: { close(): Promise<void> }[] = [];
  before(async () => {
    ensureBrowserBuild();
    modelPath = await defaultModelPath();
    modelSize = statSync(modelPath).size;
    expected = await nodeGreedy(modelPath);
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    for (const s of servers) await s.close();
  });
  return {
    get modelPath() {
      return modelPath;
    },
    get modelSize() {
      return modelSize;
    },
    get expected() {
      return expected;
    },
    async newContext() {
      const context = await browser!.newContext();
      contexts.push(context);
      return context;
    },
    closeAfter(server) {
      servers.push(server);
      return server;
    },
  };
}
