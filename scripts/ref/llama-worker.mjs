// Child process that runs llama.cpp (through node-llama-cpp, CPU prebuilt) for the reference generators.
// It is always spawned by a parent (scripts/ref/llama-golden.mjs, scripts/ref/model-tiny.py) because a
// malformed GGUF can abort the whole process.
//
// Usage: node scripts/ref/llama-worker.mjs JOB.json RESULT.json
// JOB = {model, context: {contextSize, batchSize, threads}, tasks: [TASK...]}; every evaluating task runs on a
// freshly cleared sequence. Task kinds:
//   {kind: "tokenize", text, special}
//       llama.cpp's tokenizer (`model.tokenize(text, special)`: no BOS is added; `special` parses special-token
//       text such as <start_of_turn> into ids).
//   {kind: "prompt", ids, positions, topK, greedySteps}
//       teacher-forced evaluation of `ids`; at each recorded position the full-vocabulary logits are
//       summarised (top-K, float64 log-sum-exp, logit of ids[pos+1], top-2 margin); then `greedySteps`
//       argmax tokens are generated from the end of the prompt, with the top-2 logits at every step.
//   {kind: "fullLogits", ids}
//       the full logit vector (index = token id) at every position; meant for the tiny fixtures.
//   {kind: "perplexity", ids, nCtx}
//       llama.cpp's perplexity windows (tools/perplexity/perplexity.cpp: non-overlapping windows of nCtx
//       tokens, the first token of each window replaced by BOS, predictions from nCtx/2 on scored);
//       returns the negative log-likelihood of every scored token, window by window.
// Context settings default to no flash attention, F32 K and V cache, no GPU; job.context may set kvType (a ggml type
// name for both K and V, such as "F16" or "Q8_0"), flashAttention (llama.cpp needs it for a quantized V cache) and
// swaFull. The result's kvLog holds llama.cpp's own KV cache size lines ("llama_kv_cache: size = ... MiB ...").
import {readFileSync, writeFileSync} from "node:fs";
import {getLlama, GgmlType, LlamaLogLevel} from "node-llama-cpp";

const [jobPath, resultPath] = process.argv.slice(2);
if (jobPath === undefined || resultPath === undefined) {
    console.error("usage: node scripts/ref/llama-worker.mjs JOB.json RESULT.json");
    process.exit(2);
}
const job = JSON.parse(readFileSync(jobPath, "utf8"));

const kvLog = [];
const llama = await getLlama({
    gpu: false, build: "never", skipDownload: true, logLevel: LlamaLogLevel.info,
    logger(level, message) {
        if (/llama_kv_cache.*size =/.test(message)) kvLog.push(message.trim());
        else if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) console.error(message);
    },
});
const model = await llama.loadModel({modelPath: job.model, gpuLayers: 0});
// The context (and its KV cache) is created only when a task evaluates tokens; tokenize-only jobs skip it.
let context;
let sequence;
async function cleanSequence() {
    if (context === undefined) {
        context = await model.createContext({
            contextSize: job.context.contextSize,
            batchSize: job.context.batchSize,
            threads: job.context.threads,
            flashAttention: job.context.flashAttention ?? false,
            experimentalKvCacheKeyType: job.context.kvType ?? "F32",
            experimentalKvCacheValueType: job.context.kvType ?? "F32",
            swaFullCache: job.context.swaFull ?? false,
        });
        sequence = context.getSequence();
    }
    await sequence.clearHistory();
}

/** Full-vocabulary logits of one position as an array indexed by token id. */
function denseLogits(logitMap) {
    const dense = new Array(logitMap.size).fill(null);
    for (const [token, logit] of logitMap) dense[token] = logit;
    return dense;
}

/** Log-sum-exp in float64 over every logit. */
function logSumExp(logitMap) {
    let max = -Infinity;
    for (const logit of logitMap.values()) if (logit > max) max = logit;
    let sum = 0;
    for (const logit of logitMap.values()) sum += Math.exp(logit - max);
    return max + Math.log(sum);
}

/** The first k (token, logit) pairs; the maps come sorted from the highest logit down. */
function topOf(logitMap, k) {
    const top = [];
    for (const entry of logitMap) {
        if (top.length === k) break;
        top.push(entry);
    }
    return top;
}

/**
 * Evaluates `ids` in one call on a cleared sequence, with the full logits requested at the positions in
 * `wanted`, and returns summarize(pos, logitMap) per wanted position. Each map (262144 entries on a real
 * model) is summarised and released as soon as it arrives: keeping hundreds of them exhausts the heap.
 */
async function evaluate(ids, wanted, summarize) {
    await cleanSequence();
    const summaries = new Map();
    const input = ids.map((id, pos) => wanted.has(pos) ? [id, {generateNext: {logits: true}}] : id);
    await sequence.controlledEvaluate(input, {
        onTokenResult(pos, output) {
            summaries.set(pos, summarize(pos, output.next.logits));
            output.next.logits = undefined;
        },
    });
    for (const pos of wanted) if (!summaries.has(pos)) throw new Error(`no logits returned for position ${pos}`);
    return summaries;
}

async function runTokenize(task) {
    return {ids: model.tokenize(task.text, task.special)};
}

async function runPrompt(task) {
    const last = task.ids.length - 1;
    const wanted = new Set(task.positions);
    for (const pos of wanted) {
        if (!Number.isInteger(pos) || pos < 0 || pos >= last) throw new Error(`position ${pos} has no next prompt token`);
    }
    wanted.add(last);
    const summaries = await evaluate(task.ids, wanted, (pos, logits) => {
        if (pos === last) return {top: topOf(logits, 2)};
        const top = topOf(logits, task.topK);
        const target = task.ids[pos + 1];
        return {pos, vocab: logits.size, top, lse: logSumExp(logits), target, targetLogit: logits.get(target), margin: top[0][1] - top[1][1]};
    });
    const positions = task.positions.map((pos) => summaries.get(pos));
    const greedy = [];
    let step = summaries.get(last).top;
    for (let i = 0; i < task.greedySteps; i++) {
        greedy.push(step);
        if (i + 1 === task.greedySteps) break;
        const [result] = await sequence.controlledEvaluate([[step[0][0], {generateNext: {logits: {filter: {includeTop: 2}}}}]]);
        step = topOf(result.next.logits, 2);
    }
    return {positions, greedy};
}

async function runFullLogits(task) {
    const wanted = new Set(task.ids.map((_, pos) => pos));
    const summaries = await evaluate(task.ids, wanted, (_, logits) => denseLogits(logits));
    return {logits: task.ids.map((_, pos) => summaries.get(pos))};
}

async function runPerplexity(task) {
    const {ids, nCtx} = task;
    const first = Math.floor(nCtx / 2);
    const chunks = Math.floor(ids.length / nCtx);
    const windows = [];
    for (let c = 0; c < chunks; c++) {
        const window = ids.slice(c * nCtx, (c + 1) * nCtx);
        window[0] = model.tokens.bos;
        const wanted = new Set();
        for (let pos = first; pos < nCtx - 1; pos++) wanted.add(pos);
        const summaries = await evaluate(window, wanted, (pos, logits) => logSumExp(logits) - logits.get(window[pos + 1]));
        const nll = [...wanted].map((pos) => summaries.get(pos));
        windows.push({start: c * nCtx, nll});
        console.error(`perplexity nCtx=${nCtx}: window ${c + 1}/${chunks}`);
    }
    return {windows};
}

const runners = {tokenize: runTokenize, prompt: runPrompt, fullLogits: runFullLogits, perplexity: runPerplexity};
const results = [];
for (const [index, task] of job.tasks.entries()) {
    const runner = runners[task.kind];
    if (runner === undefined) throw new Error(`task ${index}: unknown kind ${task.kind}`);
    const started = performance.now();
    results.push(await runner(task));
    console.error(`task ${index + 1}/${job.tasks.length} (${task.kind}) done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

writeFileSync(resultPath, JSON.stringify({
    llamaCppRelease: llama.llamaCppRelease,
    context: context === undefined ? null : {
        contextSize: context.contextSize,
        batchSize: context.batchSize,
        threads: context.currentThreads,
        flashAttention: context.flashAttention,
        kvCacheKeyType: GgmlType[context.kvCacheKeyType],
        kvCacheValueType: GgmlType[context.kvCacheValueType],
    },
    bos: model.tokens.bos,
    kvLog,
    results,
}));
await context?.dispose();
await model.dispose();
await llama.dispose();
