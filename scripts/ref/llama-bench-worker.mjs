// Child process that times llama.cpp (node-llama-cpp 3.22.1, CPU prebuilt) on the work `gemma bench` does;
// spawned by scripts/bench.mjs, alone, so that its peak RSS is its own and nothing else competes for the cores.
//
// Usage: node scripts/ref/llama-bench-worker.mjs '{"model":PATH,"pp":512,"tg":128,"depth":0,"reps":1,"threads":N}'
// Prints one JSON object on stdout with the same keys as `gemma bench --json`.
//
// The work, as in src/cli/commands/bench.ts: ids = BOS, then ids 1000..1999 (0..999 in a vocabulary of at most
// 2000) in turn, skipping control and unknown pieces (GGUF token_type 3 and 2, read with @huggingface/gguf);
// an untimed 8-token warm-up prefill; per rep, on a cleared sequence: `depth` tokens (untimed), the timed prefill
// of the next pp tokens in one batch with the greedy first token sampled from the last (= time to first token),
// then tg decode steps, each one controlledEvaluate call that feeds the previous token and samples the next one
// greedily (temperature 0) in the native sampler: one token per call, like our decode loop.
// Context: size depth + pp + tg, batch size pp, no flash attention, F32 K and V cache, the given threads.
// Peak RSS is VmHWM of this process; llama.cpp maps the model file, so it counts the model pages it touched.
import {readFileSync} from "node:fs";
import {gguf} from "@huggingface/gguf";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const WARMUP_TOKENS = 8;
const FIRST_ID = 1000;
const ID_SPAN = 1000;

const job = JSON.parse(process.argv[2] ?? "null");
if (job === null) {
    console.error("usage: node scripts/ref/llama-bench-worker.mjs JOB_JSON");
    process.exit(2);
}
const {model: modelPath, pp, tg, depth, reps, threads} = job;

const t0 = performance.now();
const llama = await getLlama({gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
const loadMs = performance.now() - t0;
if (model.tokens.bos == null) throw new Error(`${modelPath}: no BOS token`);

const ids = [model.tokens.bos];
const pool = await idPool(modelPath);
for (let i = 0; ids.length < depth + pp; i++) ids.push(pool[i % pool.length]);
const contextSize = depth + pp + tg;
const context = await model.createContext({
    contextSize,
    batchSize: pp,
    threads,
    flashAttention: false,
    experimentalKvCacheKeyType: "F32",
    experimentalKvCacheValueType: "F32",
});
const sequence = context.getSequence();
const greedy = {token: true, options: {temperature: 0}};

await sequence.evaluateWithoutGeneratingNewTokens(ids.slice(0, Math.min(WARMUP_TOKENS, ids.length)));
await sequence.clearHistory();

const times = [];
for (let r = 0; r < reps; r++) {
    if (depth > 0) await sequence.evaluateWithoutGeneratingNewTokens(ids.slice(0, depth));
    const prompt = ids.slice(depth);
    const p0 = performance.now();
    const out = await sequence.controlledEvaluate(prompt.map((t, i) => (i === prompt.length - 1 ? [t, {generateNext: greedy}] : t)));
    const p1 = performance.now();
    let next = out[prompt.length - 1]?.next.token;
    for (let i = 0; i < tg; i++) {
        if (next == null) throw new Error(`no token sampled at decode step ${i}`);
        const [step] = await sequence.controlledEvaluate([[next, {generateNext: greedy}]]);
        next = step?.next.token;
    }
    const p2 = performance.now();
    times.push({prefillMs: p1 - p0, decodeMs: p2 - p1});
    await sequence.clearHistory();
}

async function idPool(path) {
    const {metadata} = await gguf(path, {allowLocalFile: true});
    const types = metadata["tokenizer.ggml.token_type"];
    const first = types.length > FIRST_ID + ID_SPAN ? FIRST_ID : 0;
    const pool = [];
    for (let id = first; id < Math.min(first + ID_SPAN, types.length); id++) if (types[id] !== 2 && types[id] !== 3) pool.push(id);
    return pool;
}

const mean = (f) => times.reduce((s, t) => s + f(t), 0) / times.length;
const prefillMs = mean((t) => t.prefillMs);
const hwm = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
const result = {
    prefill_tok_s: (pp * 1000) / prefillMs,
    decode_tok_s: (tg * 1000) / mean((t) => t.decodeMs),
    ttft_ms: prefillMs,
    load_ms: loadMs,
    peak_rss_mb: (hwm ? Number(hwm[1]) * 1024 : process.memoryUsage().rss) / (1024 * 1024),
    pp,
    tg,
    depth,
    reps,
    threads,
    context_size: context.contextSize,
    model: modelPath,
    backend: `llama.cpp ${llama.gpu === false ? "CPU" : llama.gpu} (node-llama-cpp 3.22.1)`,
    warmup_tokens: Math.min(WARMUP_TOKENS, ids.length),
};
await context.dispose();
await model.dispose();
await llama.dispose();
process.stdout.write(JSON.stringify(result) + "\n");
