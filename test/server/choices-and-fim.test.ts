import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { GemmaModel } from "../../src/api/model.js";
import { fimPromptIds, fimStopTokens, fimTokens } from "../../src/engine/fim.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { createApp, type ServerOptions } from "../../src/server/app.js";
import { listen } from "../../src/server/node-adapter.js";
import { loadTiny } from "../api/tiny.js";
import { tinyWithFimKeys } from "../helpers/tiny-fim.js";

/**
 * OpenAI's `n` (several choices of one prompt) and `/v1/completions` `suffix` (fill-in-the-middle). The reference
 * for each choice is a single-choice request (or the library's generate) with the seed that choice uses.
 */
const servers: Array<{ close(): Promise<void> }> = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function start(model: GemmaModel, opts: Partial<ServerOptions> = {}): Promise<string> {
  const app = createApp({ model, modelId: "tiny", ...opts });
  const s = await listen((r) => app.handle(r), "127.0.0.1", 0);
  servers.push(s);
  return s.url;
}

async function post(url: string, path: string, body: unknown): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const tiny = await loadTiny({ contextSize: 128 });
const NO_STOP = { [tiny.tokenizer.eos]: -100, [tiny.tokenizer.tokenId("<end_of_turn>")!]: -100 };

test("n = 3 seeded choices: choice i equals a single request seeded seed + i; usage sums the choices", async () => {
  const url = await start(tiny, { parallel: 4 });
  const base = { prompt: "the cat", max_tokens: 6, temperature: 1.5, logit_bias: NO_STOP };
  const r = await post(url, "/v1/completions", { ...base, n: 3, seed: 41 });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.choices.map((c: any) => c.index), [0, 1, 2]);
  for (let i = 0; i < 3; i++) {
    const one = await post(url, "/v1/completions", { ...base, seed: 41 + i });
    assert.equal(r.json.choices[i].text, one.json.choices[0].text, `choice ${i}`);
  }
  assert.equal(r.json.usage.completion_tokens, 18);
  assert.equal(r.json.usage.prompt_tokens, tiny.tokenize("the cat", { addBos: tiny.tokenizer.addBos }).length);
  assert.ok(new Set(r.json.choices.map((c: any) => c.text)).size > 1, "different seeds give different choices");
});

test("n = 2 streamed: chunks carry their choice index and each choice's text equals the non-streamed one", async () => {
  const url = await start(tiny, { parallel: 2 });
  const body = { messages: [{ role: "user", content: "hello" }], max_tokens: 5, temperature: 1, seed: 7, n: 2, logit_bias: NO_STOP };
  const whole = await post(url, "/v1/chat/completions", body);
  const streamed = await post(url, "/v1/chat/completions", { ...body, stream: true, stream_options: { include_usage: true } });
  assert.ok(streamed.text.endsWith("data: [DONE]\n\n"));
  const chunks = streamed.text.split("\n\n").filter((e) => e.startsWith("data: {")).map((e) => JSON.parse(e.slice(6)));
  const texts = ["", ""];
  const finishes: (string | null)[] = [null, null];
  for (const c of chunks) {
    for (const ch of c.choices) {
      texts[ch.index] += ch.delta.content ?? "";
      if (ch.finish_reason) finishes[ch.index] = ch.finish_reason;
    }
  }
  assert.deepEqual(texts, whole.json.choices.map((c: any) => c.message.content));
  assert.deepEqual(finishes, ["length", "length"]);
  assert.equal(chunks.at(-1).usage.completion_tokens, 10);
});

test("n larger than the server's parallel sequences is a 400 naming n", async () => {
  const url = await start(tiny, { parallel: 2 });
  const r = await post(url, "/v1/completions", { prompt: "a", n: 3, max_tokens: 2 });
  assert.equal(r.status, 400);
  assert.equal(r.json.error.param, "n");
  const bad = await post(url, "/v1/completions", { prompt: "a", n: 0 });
  assert.equal(bad.status, 400);
  assert.equal(bad.json.error.param, "n");
});

test("suffix on /v1/completions is fill-in-the-middle: the same tokens as the library's infill", async () => {
  const fimModel = await loadModel(await tinyWithFimKeys("current"), { threads: 1, contextSize: 128 });
  const url = await start(fimModel);
  const r = await post(url, "/v1/completions", { prompt: "def f(", suffix: "return x", max_tokens: 6, temperature: 0 });
  assert.equal(r.status, 200, r.text);
  const tok = fimModel.tokenizer;
  const markers = fimTokens(tok, fimModel.info.metadata);
  const direct = await fimModel
    .generate(fimPromptIds(tok, markers, "def f(", "return x"), { maxTokens: 6, temperature: 0, stopTokens: fimStopTokens(tok, markers) })
    .finished();
  assert.equal(r.json.choices[0].text, direct.text);
  assert.equal(r.json.usage.prompt_tokens, direct.promptTokens);
  const noFim = await post(await start(tiny), "/v1/completions", { prompt: "a", suffix: "b" });
  assert.equal(noFim.status, 400);
  assert.equal(noFim.json.error.param, "suffix");
  assert.match(noFim.json.error.message, /fill-in-the-middle/);
});
