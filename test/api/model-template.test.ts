import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ggufValue } from "../../src/formats/gguf/index.js";
import type { ChatMessage } from "../../src/engine/prompt.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { hfTokenizerConfig } from "../tokenizer/helpers.js";
import { noStopBias, TINY_GEMMA3 } from "./tiny.js";

/** The tiny Gemma 3 rewritten with Gemma 3's Hugging Face chat template in tokenizer.chat_template. */
async function tinyWithTemplate(): Promise<string> {
  const template = (hfTokenizerConfig() as { chat_template: string }).chat_template;
  const src = await openGgufPath(TINY_GEMMA3);
  const path = join(mkdtempSync(join(tmpdir(), "gemma-template-")), "tiny-it.gguf");
  try {
    const meta = [...src.metadata.entries(), ["tokenizer.chat_template", ggufValue.string(template)] as const];
    const tensors = src.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: () => src.readTensor(t) }));
    await writeGgufPath(path, meta, tensors);
  } finally {
    await src.close();
  }
  return path;
}

const conversations: ChatMessage[][] = [
  [{ role: "user", content: "Hello!" }],
  [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Hi" },
    { role: "assistant", content: "Hello" },
    { role: "user", content: "Bye <end_of_turn>" },
  ],
];

test("a model whose file has a chat template: auto uses it, and it agrees with the builtin Gemma format", async () => {
  const model = await loadModel(await tinyWithTemplate(), { threads: 1, contextSize: 128 });
  assert.ok(model.info.chatTemplate !== undefined && model.info.instructionTuned);
  const chat = model.chat();
  assert.equal(chat.format.kind, "model");
  for (const messages of conversations) assert.deepEqual(model.formatChat(messages), model.formatChat(messages, "builtin"));
  const r = await chat.send("Hello!", { maxTokens: 3, seed: 1, logitBias: noStopBias(model) }).finished();
  assert.equal(r.promptTokens, model.formatChat(conversations[0]!).length);
});
