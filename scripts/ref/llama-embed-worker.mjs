// Child process that computes embeddings with llama.cpp (through node-llama-cpp, CPU prebuilt) for
// scripts/ref/model-embedding-tiny.py; a child because a malformed GGUF can abort the whole process.
//
// Usage: node scripts/ref/llama-embed-worker.mjs JOB.json RESULT.json
// JOB = {model, context: {contextSize, batchSize, threads}, inputs: [string | number[] ...]}
// For each input: the ids llama.cpp runs (a text is tokenized without parsing special-token strings; then, as
// node-llama-cpp's LlamaEmbeddingContext does, BOS is put first when the model wants it and EOS last when
// tokenizer.ggml.add_eos_token says so) and the vector of getEmbeddingFor: the pooled sequence embedding after
// the model's dense projections, NOT normalized (llama_get_embeddings_seq; node-llama-cpp does not normalize).
import {readFileSync, writeFileSync} from "node:fs";
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [jobPath, resultPath] = process.argv.slice(2);
if (jobPath === undefined || resultPath === undefined) {
    console.error("usage: node scripts/ref/llama-embed-worker.mjs JOB.json RESULT.json");
    process.exit(2);
}
const job = JSON.parse(readFileSync(jobPath, "utf8"));
const llama = await getLlama({gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.error});
// Flash attention off, as every reference here: with it llama.cpp casts K and V to f16 (src/llama-graph.cpp
// build_attn_mha), which moves a unit vector by ~1e-4; node-llama-cpp's embedding context turns it on by default.
const model = await llama.loadModel({modelPath: job.model, gpuLayers: 0, defaultContextFlashAttention: false});
const context = await model.createEmbeddingContext({
    contextSize: job.context.contextSize,
    batchSize: job.context.batchSize,
    threads: job.context.threads,
});

function preparedIds(input) {
    const ids = typeof input === "string" ? [...model.tokenize(input, false)] : [...input];
    const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
    const eos = model.tokens.shouldAppendEosToken ? model.tokens.eos : null;
    if (bos != null && ids[0] !== bos) ids.unshift(bos);
    if (eos != null && ids.at(-1) !== eos) ids.push(eos);
    return ids;
}

const results = [];
for (const input of job.inputs) {
    const embedding = await context.getEmbeddingFor(typeof input === "string" ? input : [...input]);
    results.push({input, ids: preparedIds(input), vector: [...embedding.vector]});
}
if (context._llamaContext.flashAttention !== false) throw new Error("flash attention is on");
writeFileSync(resultPath, JSON.stringify({
    nodeLlamaCpp: JSON.parse(readFileSync(new URL("../../node_modules/node-llama-cpp/package.json", import.meta.url), "utf8")).version,
    llamaCppRelease: llama.llamaCppRelease,
    shouldPrependBos: model.tokens.shouldPrependBosToken,
    shouldAppendEos: model.tokens.shouldAppendEosToken,
    results,
}));
await context.dispose();
await model.dispose();
await llama.dispose();
