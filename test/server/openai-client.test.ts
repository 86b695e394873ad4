import assert from "node:assert/strict";
import { basename } from "node:path";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import { validate } from "../engine/grammar/ajv-validate.js";
import { defaultModelPath } from "../helpers/model.js";
import { startServe, type ServeProcess } from "./gemma-serve.js";

/*
 * OpenAI's own Node client (openai 7.59.0), unchanged but for its base URL (and no retries), against a running
 * `gemma serve` (the built CLI on the default model, -c 512): what the client sends, parses, assembles from a
 * stream and raises is the judge; ajv (an independent JSON Schema validator) judges the json_schema answers.
 */

let server: ServeProcess;
let client: OpenAI;
/** The id the server gives the model: its file name without .gguf. */
let modelId: string;
const started: ServeProcess[] = [];

before(async () => {
  const path = await defaultModelPath();
  modelId = basename(path, ".gguf");
  server = await startServe(["-m", path, "-c", "512", "-t", "1"]);
  started.push(server);
  client = new OpenAI({ baseURL: server.url + "/v1", apiKey: "unused", maxRetries: 0 });
});

after(async () => {
  for (const s of started) await s.stop();
});

const CHAT = {
  messages: [
    { role: "system" as const, content: "Answer briefly." },
    { role: "user" as const, content: "Name three colors." },
  ],
  temperature: 0,
  max_tokens: 16,
};
/** The model is shown an example, so that its answers under a schema finish well within the token limit. */
const JSON_REQUEST = [{ role: "user" as const, content: 'Reply with JSON like {"name": "Ann", "age": 30, "colors": ["red"]}.' }];

test("models.list: the served model", async () => {
  const ids: string[] = [];
  for await (const m of client.models.list()) {
    assert.equal(m.object, "model");
    ids.push(m.id);
  }
  assert.deepEqual(ids, [modelId]);
});

test("chat: a streamed answer with include_usage equals the non-streamed one, chunk by chunk and as the client assembles it", async () => {
  const params = { ...CHAT, model: modelId };
  const whole = await client.chat.completions.create(params);
  assert.equal(whole.object, "chat.completion");
  assert.equal(whole.model, modelId);
  assert.equal(whole.choices.length, 1);
  const choice = whole.choices[0]!;
  assert.equal(choice.message.role, "assistant");
  assert.ok(choice.finish_reason === "stop" || choice.finish_reason === "length");
  assert.ok(choice.message.content !== null && choice.message.content.length > 0);
  const usage = whole.usage!;
  assert.ok(usage.completion_tokens >= 1 && usage.completion_tokens <= 16);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);

  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } });
  let text = "";
  let finish: string | null = null;
  let streamedUsage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    assert.equal(chunk.object, "chat.completion.chunk");
    assert.equal(streamedUsage, undefined, "the usage chunk comes last");
    if (chunk.usage) {
      assert.deepEqual(chunk.choices, []);
      streamedUsage = chunk.usage;
    }
    for (const c of chunk.choices) {
      text += c.delta.content ?? "";
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(text, choice.message.content);
  assert.equal(finish, choice.finish_reason);
  assert.deepEqual(streamedUsage, usage);

  // the client's own stream helper rebuilds a whole completion from the chunks
  const assembled = await client.chat.completions.stream({ ...params, stream_options: { include_usage: true } }).finalChatCompletion();
  assert.equal(assembled.choices[0]!.message.content, choice.message.content);
  assert.equal(assembled.choices[0]!.finish_reason, choice.finish_reason);
  assert.deepEqual(assembled.usage, usage);
});

test("completions: streamed and non-streamed text agree; an answer cut by max_tokens has exactly that many tokens", async () => {
  const params = { model: modelId, prompt: "The capital of France is", max_tokens: 8, temperature: 0 };
  const whole = await client.completions.create(params);
  assert.equal(whole.object, "text_completion");
  const choice = whole.choices[0]!;
  assert.ok(choice.text.length > 0);
  if (choice.finish_reason === "length") assert.equal(whole.usage!.completion_tokens, 8);
  else assert.equal(choice.finish_reason, "stop");
  let text = "";
  for await (const chunk of await client.completions.create({ ...params, stream: true })) {
    assert.equal(chunk.object, "text_completion");
    text += chunk.choices[0]?.text ?? "";
  }
  assert.equal(text, choice.text);
});

test("response_format: json_schema answers are valid against the schema (ajv), json_object answers are objects", async () => {
  const schema = {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1, maxLength: 12 },
      age: { type: "integer", minimum: 0, maximum: 120 },
      colors: { type: "array", items: { enum: ["red", "green", "blue"] }, minItems: 1, maxItems: 3 },
    },
    required: ["name", "age", "colors"],
    additionalProperties: false,
  };
  let finished = 0;
  for (const seed of [1, 2, 3]) {
    const r = await client.chat.completions.create({
      model: modelId,
      messages: JSON_REQUEST,
      max_tokens: 96,
      temperature: 0.7,
      seed,
      response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
    });
    const c = r.choices[0]!;
    if (c.finish_reason !== "stop") continue;
    finished++;
    assert.equal(validate(schema, JSON.parse(c.message.content!)), null, c.message.content!);
  }
  assert.ok(finished > 0, "no json_schema answer finished within 96 tokens");
  const r = await client.chat.completions.create({
    model: modelId,
    messages: JSON_REQUEST,
    max_tokens: 96,
    temperature: 0.7,
    seed: 4,
    response_format: { type: "json_object" },
  });
  assert.equal(r.choices[0]!.finish_reason, "stop");
  assert.equal(validate({ type: "object" }, JSON.parse(r.choices[0]!.message.content!)), null);
});

test("errors reach the client as its own error classes with OpenAI's fields", async () => {
  await assert.rejects(client.chat.completions.create({ ...CHAT, model: "gpt-4o" }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, "model_not_found");
    assert.equal(e.param, "model");
    return true;
  });
  const tool = { type: "function" as const, function: { name: "get weather", parameters: { type: "object" } } };
  await assert.rejects(client.chat.completions.create({ ...CHAT, model: modelId, tools: [tool] }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, "tools[0].function.name");
    assert.equal(e.type, "invalid_request_error");
    return true;
  });
  await assert.rejects(client.completions.create({ model: modelId, prompt: "word ".repeat(600) }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.code, "context_length_exceeded");
    return true;
  });
});

// (a missing key cannot be sent through the client, which refuses to run without one: bad-requests.test.ts covers it)
test("a server with --api-key: a wrong key is the client's AuthenticationError on every route, the right key is served", async () => {
  const keyed = await startServe(["-m", await defaultModelPath(), "-c", "512", "-t", "1", "--api-key", "client-secret"]);
  started.push(keyed);
  const wrong = new OpenAI({ baseURL: keyed.url + "/v1", apiKey: "client-wrong", maxRetries: 0 });
  for (const call of [() => wrong.models.list(), () => wrong.chat.completions.create({ ...CHAT, model: modelId }), () => wrong.completions.create({ model: modelId, prompt: "x" })]) {
    await assert.rejects(call(), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.equal(e.status, 401);
      assert.equal(e.code, "invalid_api_key");
      return true;
    });
  }
  const right = new OpenAI({ baseURL: keyed.url + "/v1", apiKey: "client-secret", maxRetries: 0 });
  const r = await right.chat.completions.create({ ...CHAT, model: modelId, max_tokens: 2 });
  assert.equal(r.choices.length, 1);
});
