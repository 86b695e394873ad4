// Load benchmark of `gemma serve`'s continuous batching on loopback: aggregate decode throughput of several
// concurrent streaming clients against a single stream, and time to first token (p50 / p99).
// Usage: node --import tsx scripts/bench-server.mjs [--model PATH] [--parallel 4] [--clients 8] [--requests 2]
//        [--max-tokens 32] [--threads N] [--rounds 2]
// The single-stream and batched runs alternate for --rounds rounds, so that a machine whose load changes while
// it runs affects both alike; each round prints both and their ratio.
// Without --model it uses the default model (Gemma 3 270M Q4_K_M, fetched into the cache if needed).
import { parseArgs } from "node:util";
import { loadModel } from "../src/platform/node/load-model.ts";
import { DEFAULT_MODEL } from "../src/platform/node/sources/resolve.ts";
import { createApp } from "../src/server/app.ts";
import { listen } from "../src/server/node-adapter.ts";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    parallel: { type: "string", default: "4" },
    clients: { type: "string", default: "8" },
    requests: { type: "string", default: "2" },
    "max-tokens": { type: "string", default: "32" },
    threads: { type: "string" },
    rounds: { type: "string", default: "2" },
  },
});
const parallel = Number(values.parallel);
const clients = Number(values.clients);
const requests = Number(values.requests);
const maxTokens = Number(values["max-tokens"]);
const path = values.model ?? DEFAULT_MODEL;
const model = await loadModel(path, { contextSize: 1024, threads: values.threads === undefined ? undefined : Number(values.threads) });
const tok = model.tokenizer;
// end-of-generation tokens banned: every answer is exactly max_tokens long
const noStop = { [tok.eos]: -100, [tok.tokenId("<end_of_turn>")]: -100 };
const topics = ["the sea", "a small town", "winter", "a robot", "music", "the moon", "a garden", "trains", "coffee", "mountains"];
const body = (i) => ({
  messages: [{ role: "user", content: `Write a short paragraph about ${topics[i % topics.length]}.` }],
  max_tokens: maxTokens,
  temperature: 0,
  logit_bias: noStop,
  stream: true,
  stream_options: { include_usage: true },
});

/** One streamed request: time to the first content token and the completion tokens. */
async function request(url, i) {
  const t0 = performance.now();
  const res = await fetch(url + "/v1/chat/completions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body(i)) });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let ttft;
  let buffer = "";
  let tokens = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const data = buffer.slice(6, end);
      buffer = buffer.slice(end + 2);
      if (data === "[DONE]") continue;
      const chunk = JSON.parse(data);
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
      // the first chunk of a generated token (the role chunk before it carries no token)
      else if (ttft === undefined && chunk.choices[0]?.delta?.content !== undefined && !chunk.choices[0].delta.role) ttft = performance.now() - t0;
    }
  }
  if (tokens !== maxTokens) throw new Error(`request ${i}: ${tokens} tokens, not ${maxTokens}`);
  return { ttft, tokens };
}

/** `nClients` clients each sending `nRequests` requests one after another, against a server with `slots` slots. */
async function run(slots, nClients, nRequests) {
  const app = createApp({ model, modelId: "bench", parallel: slots, queueSize: nClients * nRequests });
  const server = await listen((r) => app.handle(r), "127.0.0.1", 0);
  await request(server.url, 0); // warm-up (worker pool, first allocations)
  const t0 = performance.now();
  const all = (
    await Promise.all(
      Array.from({ length: nClients }, async (_, c) => {
        const out = [];
        for (let r = 0; r < nRequests; r++) out.push(await request(server.url, 1 + c * nRequests + r));
        return out;
      }),
    )
  ).flat();
  const seconds = (performance.now() - t0) / 1000;
  const metrics = await (await fetch(server.url + "/metrics")).text();
  await server.close();
  const steps = [...metrics.matchAll(/^gemma_batch_steps_total\{sequences="(\d+)"\} (\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  const nSteps = steps.reduce((n, [, c]) => n + c, 0);
  const meanBatch = steps.reduce((n, [k, c]) => n + k * c, 0) / nSteps;
  const ttfts = all.map((r) => r.ttft).sort((a, b) => a - b);
  const q = (p) => ttfts[Math.min(ttfts.length - 1, Math.ceil(p * ttfts.length) - 1)];
  const tokens = all.reduce((n, r) => n + r.tokens, 0);
  return { tokensPerSecond: tokens / seconds, requests: all.length, tokens, seconds, p50: q(0.5), p99: q(0.99), meanBatch };
}

const fmt = (r) =>
  `${r.requests} requests, ${r.tokens} tokens in ${r.seconds.toFixed(1)} s: ${r.tokensPerSecond.toFixed(1)} tokens/s; ` +
  `TTFT p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms; mean sequences per step ${r.meanBatch.toFixed(2)}`;
console.log(`model ${path}, ${maxTokens} tokens per answer`);
for (let round = 1; round <= Number(values.rounds); round++) {
  const single = await run(1, 1, Math.max(2, requests));
  console.log(`round ${round}: single stream (--parallel 1, 1 client): ${fmt(single)}`);
  const batched = await run(parallel, clients, requests);
  console.log(`round ${round}: batched (--parallel ${parallel}, ${clients} clients x ${requests}): ${fmt(batched)}`);
  console.log(`round ${round}: aggregate throughput ${(batched.tokensPerSecond / single.tokensPerSecond).toFixed(2)}x the single stream`);
}
