import assert from "node:assert/strict";
import { test } from "node:test";
import type { GeneratedChunk } from "../../src/engine/generate.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { defaultModelPath } from "../helpers/model.js";
import { freshLogprobs } from "./tiny.js";

/** The default model (Gemma 3 270M Q4_K_M, a base model): a short two-turn chat, kept few tokens long. */
test("real model: turn 2 reuses the whole cache and its logprobs equal a fresh context's on the conversation", async () => {
  const model = await loadModel(await defaultModelPath(), { contextSize: 256 });
  const chat = model.chat({ system: "You are helpful." });
  const o = { maxTokens: 4, temperature: 0, logprobs: 2 };
  await chat.send("What is the capital of France?", o).finished();
  const cached = [...model.sequence.tokens];
  const stream = chat.send("And of Italy?", o);
  const chunks: GeneratedChunk[] = [];
  for await (const c of stream) if (c.token !== undefined) chunks.push(c);
  const r = await stream.finished();
  const prompt = model.formatChat(chat.messages.slice(0, -1));
  assert.deepEqual(prompt.slice(0, cached.length), cached, "turn 1 and its answer are a prefix of turn 2's prompt");
  assert.equal(r.cachedTokens, cached.length);
  const rows = freshLogprobs(model, [...prompt, ...chunks.map((c) => c.token!)], prompt.length - 1);
  chunks.forEach((c, i) => {
    // greedy: the chosen token is (up to rounding) the fresh context's most likely one, with the same log-probability
    const row = rows[i]!;
    const best = row.reduce((m, v) => Math.max(m, v), -Infinity);
    assert.ok(row[c.token!]! >= best - 1e-3, `step ${i}: token ${c.token} is not the most likely`);
    assert.ok(Math.abs(c.logprobs!.logprob - row[c.token!]!) < 1e-3, `step ${i}: ${c.logprobs!.logprob} vs ${row[c.token!]}`);
  });
});
