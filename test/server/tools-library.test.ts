import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { GemmaModel } from "../../src/api/model.js";
import { ToolAnswerReader } from "../../src/engine/tool-answer.js";
import type { ToolChatMessage } from "../../src/engine/tool-prompt.js";
import { loadModel } from "../../src/platform/node/load-model.js";
import { validate } from "../engine/grammar/ajv-validate.js";
import { defaultModelPath } from "../helpers/model.js";

/*
 * GemmaModel.toolChat, the library's tool calling, on the default model: the calls it returns pass ajv against
 * the tool's parameters, the streamed chunks read (ToolAnswerReader) into the same calls, and a conversation
 * carrying the calls and their results goes on.
 */

const PARAMS = { type: "object", properties: { city: { type: "string", minLength: 1, maxLength: 20 } }, required: ["city"], additionalProperties: false };
const TOOLS = [{ name: "get_weather", description: "Get the current weather in a city", parameters: PARAMS }];
const QUESTION: ToolChatMessage[] = [{ role: "user", content: "What is the weather in Rome?" }];

let model: GemmaModel;
before(async () => {
  model = await loadModel(await defaultModelPath(), { contextSize: 1024, threads: 1 });
});

test("toolChat: calls valid for the tool's schema; the chunks read into the same calls; the conversation goes on", async () => {
  const stream = model.toolChat(QUESTION, { tools: TOOLS, toolChoice: { name: "get_weather" }, temperature: 0, maxTokens: 100 });
  const reader = new ToolAnswerReader();
  let text = "";
  for await (const chunk of stream) {
    text += chunk.text;
    reader.push(chunk.text);
  }
  reader.end();
  const r = await stream.finished();
  assert.equal(r.finishReason, "stop");
  assert.equal(r.text, text);
  assert.equal(r.content, null);
  assert.equal(r.toolCalls.length, 1);
  const call = r.toolCalls[0]!;
  assert.equal(call.name, "get_weather");
  assert.equal(validate(PARAMS, JSON.parse(call.arguments)), null, call.arguments);
  assert.deepEqual(reader.answer.toolCalls.map((c) => [c.name, c.arguments]), [[call.name, call.arguments]]);

  const conversation: ToolChatMessage[] = [...QUESTION, { role: "assistant", toolCalls: r.toolCalls }, { role: "tool", toolCallId: call.id, content: '{"sky": "clear"}' }];
  const next = await model.toolChat(conversation, { tools: TOOLS, toolChoice: "none", temperature: 0, maxTokens: 12 }).finished();
  assert.deepEqual(next.toolCalls, []);
  assert.equal(next.content, next.text);
  assert.ok(next.text.length > 0);
});

test("toolChat: a jsonSchema beside active tools is refused; with toolChoice none it applies", async () => {
  assert.throws(() => model.toolChat(QUESTION, { tools: TOOLS, jsonSchema: { type: "object" } }), (e: unknown) => (e as { code: string }).code === "BAD_PROMPT");
  const r = await model.toolChat(QUESTION, { tools: TOOLS, toolChoice: "none", jsonSchema: { enum: ["yes", "no"] }, temperature: 0, maxTokens: 8 }).finished();
  assert.ok(["yes", "no"].includes(JSON.parse(r.text) as string), r.text);
});
