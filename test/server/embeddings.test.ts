import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import OpenAI from "openai";
import { loadModel } from "../../src/platform/node/load-model.js";
import { createApp } from "../../src/server/app.js";
import { listen } from "../../src/server/node-adapter.js";
import { assertShape, ERROR } from "./openai-shape.js";

/**
 * POST /v1/embeddings on the tiny random EmbeddingGemma (scripts/ref/model-embedding-tiny.py) over loopback: the
 * official `openai` client (which asks for base64 and decodes it) and plain float requests get llama.cpp's vectors
 * (test/golden/model/embedding-tiny.json; cosine >= 0.9999, within conventions.md's 5e-3) and exactly what the
 * library's embed() returns; the usage counts llama.cpp's ids; bad requests get OpenAI error objects.
 */
const golden = JSON.parse(readFileSync("test/golden/model/embedding-tiny.json", "utf8")) as {
  fixture: { gguf: string };
  cases: { text: string; ids: number[]; llama: number[] }[];
};
const model = await loadModel(golden.fixture.gguf, { threads: 1, contextSize: 128 });
const app = createApp({ model, modelId: "tiny-embedding", parallel: 1 });
const server = await listen((r) => app.handle(r), "127.0.0.1", 0);
after(() => server.close());

const EMBEDDINGS = {
  object: "string",
  data: [{ object: "string", index: "integer", embedding: ["number"] }],
  model: "string",
  usage: { prompt_tokens: "integer", total_tokens: "integer" },
} as const;

function post(body: unknown): Promise<Response> {
  return fetch(server.url + "/v1/embeddings", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

test("the openai client gets llama.cpp's embeddings (base64 on the wire)", async () => {
  const client = new OpenAI({ baseURL: server.url + "/v1", apiKey: "none" });
  const res = await client.embeddings.create({ model: "tiny-embedding", input: golden.cases.map((c) => c.text) });
  assert.equal(res.data.length, golden.cases.length);
  assert.equal(res.usage.prompt_tokens, golden.cases.reduce((n, c) => n + c.ids.length, 0));
  for (const [i, c] of golden.cases.entries()) {
    const v = res.data[i]!.embedding as ArrayLike<number>;
    assert.equal(res.data[i]!.index, i);
    assert.ok(cosine(v, c.llama) >= 0.9999, c.text);
    assert.ok(Array.from(v).every((x, j) => Math.abs(x - c.llama[j]!) <= 5e-3), c.text);
    assert.deepEqual(Float32Array.from(v), model.embed(c.text));
  }
});

test("float encoding, token-id input, dimensions", async () => {
  const c = golden.cases[1]!;
  const res = await post({ input: c.ids, encoding_format: "float" });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { embedding: number[] }[]; usage: { prompt_tokens: number } };
  assertShape(body, EMBEDDINGS);
  assert.deepEqual(Float32Array.from(body.data[0]!.embedding), model.embed(c.text));
  assert.equal(body.usage.prompt_tokens, c.ids.length);
  const short = (await (await post({ input: [c.text], encoding_format: "float", dimensions: 16 })).json()) as { data: { embedding: number[] }[] };
  const head = body.data[0]!.embedding.slice(0, 16);
  const norm = Math.hypot(...head);
  assert.equal(short.data[0]!.embedding.length, 16);
  assert.ok(short.data[0]!.embedding.every((x, i) => Math.abs(x - head[i]! / norm) < 1e-6));
});

test("bad requests get OpenAI error objects", async () => {
  const cases: [unknown, number, string][] = [
    [{ input: "" }, 400, "invalid_value"],
    [{ input: [] }, 400, "invalid_value"],
    [{ input: [1, "a"] }, 400, "invalid_value"],
    [{ input: [[5, 100000]] }, 400, "invalid_value"],
    [{ input: "x", encoding_format: "int8" }, 400, "invalid_value"],
    [{ input: "x", dimensions: 0 }, 400, "invalid_value"],
    [{ input: "x", model: "text-embedding-3-small" }, 404, "model_not_found"],
    [{ input: "hello ".repeat(200) }, 400, "context_length_exceeded"],
    [[1, 2], 400, ""],
  ];
  for (const [body, status, code] of cases) {
    const res = await post(body);
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 80));
    const err = (await res.json()) as { error: { code: string | null } };
    assertShape(err, ERROR);
    if (code !== "") assert.equal(err.error.code, code);
  }
});
