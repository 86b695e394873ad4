// Generates test/golden/model/gemma3-270m-q4km.llama.json: llama.cpp's reference outputs for the real
// Gemma 3 270M Q4_K_M model (teacher-forced logits, greedy continuations, perplexity).
//
// Run: node scripts/ref/llama-golden.mjs [--model PATH]   (default /root/models/gemma-3-270m-q4_k_m.gguf)
// About 25 minutes (one thread; ~0.2 s per full-vocabulary logit vector). llama.cpp runs in a child process
// (scripts/ref/llama-worker.mjs).
//
// Inputs: test/fixtures/text/prompts.json (hand-written prompts), test/fixtures/text/wiki-like.txt
// (perplexity text, see wiki-like.SOURCE.md). Every evaluation uses flash attention off, F32 K/V cache,
// one thread, and a batch size (2048) that holds every prompt and perplexity window whole.
import {execFileSync} from "node:child_process";
import {createHash} from "node:crypto";
import {createReadStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from "node:fs";
import {cpus, tmpdir} from "node:os";
import {basename, dirname, join, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const modelArg = process.argv.indexOf("--model");
const modelPath = modelArg > 0 ? process.argv[modelArg + 1] : "/root/models/gemma-3-270m-q4_k_m.gguf";
const promptsPath = join(root, "test/fixtures/text/prompts.json");
const textPath = join(root, "test/fixtures/text/wiki-like.txt");
const outPath = join(root, "test/golden/model/gemma3-270m-q4km.llama.json");

const CONTEXT = {contextSize: 2048, batchSize: 2048, threads: 1};
const TOP_K = 16;
const POSITIONS_PER_PROMPT = 64;
const GREEDY_STEPS = 32;
const PERPLEXITY_WINDOWS = [512, 1024];
const SLIDING_WINDOW = 512; // gemma3.attention.sliding_window of the 270M model
const BOS = 2;
const DIGITS = 1e5; // logits are stored rounded to 1e-5

const round = (x) => Math.round(x * DIGITS) / DIGITS;

function sha256File(path) {
    return new Promise((done, fail) => {
        const hash = createHash("sha256");
        createReadStream(path).on("data", (chunk) => hash.update(chunk)).on("end", () => done(hash.digest("hex"))).on("error", fail);
    });
}

function packageVersion(name) {
    return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
}

/** The squashed commit inside node-llama-cpp's llama.cpp source bundle (the exact source of the binary). */
function bundleHead() {
    const bundle = join(root, "node_modules/node-llama-cpp/llama/gitRelease.bundle");
    try {
        return execFileSync("git", ["bundle", "list-heads", bundle], {encoding: "utf8"}).trim().split(/\s+/)[0];
    } catch {
        return null;
    }
}

/** Runs one job in a child llama-worker process and returns its parsed result. */
function runWorker(job) {
    const dir = mkdtempSync(join(tmpdir(), "llama-golden-"));
    try {
        const jobPath = join(dir, "job.json");
        const resultPath = join(dir, "result.json");
        writeFileSync(jobPath, JSON.stringify(job));
        execFileSync(process.execPath, [join(root, "scripts/ref/llama-worker.mjs"), jobPath, resultPath], {stdio: ["ignore", "inherit", "inherit"]});
        return JSON.parse(readFileSync(resultPath, "utf8"));
    } finally {
        rmSync(dir, {recursive: true, force: true});
    }
}

/**
 * Positions (each with a next prompt token) recorded per prompt: the last 64 for prompts up to 576 tokens;
 * for longer ones 16 spread over the first sliding window, 12 around its edge (a local layer at position p
 * stops seeing position p - 512 from p = 512 on) and the last 36.
 */
function recordedPositions(n) {
    const last = n - 2;
    if (n <= SLIDING_WINDOW + POSITIONS_PER_PROMPT) return Array.from({length: POSITIONS_PER_PROMPT}, (_, i) => last - POSITIONS_PER_PROMPT + 1 + i);
    const spread = Array.from({length: 16}, (_, i) => 32 + Math.round((i * (SLIDING_WINDOW - 40)) / 15));
    const edge = Array.from({length: 12}, (_, i) => SLIDING_WINDOW - 6 + i);
    const tail = Array.from({length: 36}, (_, i) => last - 35 + i);
    const all = [...new Set([...spread, ...edge, ...tail])].sort((a, b) => a - b);
    if (all.length !== POSITIONS_PER_PROMPT) throw new Error(`prompt of ${n} tokens: ${all.length} positions`);
    return all;
}

/** llama.cpp's perplexity summary (tools/perplexity/perplexity.cpp): exp(mean NLL) and its standard error. */
function perplexitySummary(windows) {
    let sum = 0;
    let sum2 = 0;
    let count = 0;
    const chunkPpl = [];
    for (const window of windows) {
        for (const nll of window.nll) {
            sum += nll;
            sum2 += nll * nll;
            count++;
        }
        chunkPpl.push(Math.exp(sum / count));
    }
    const mean = sum / count;
    const ppl = Math.exp(mean);
    const variance = sum2 / count - mean * mean;
    return {ppl, stderr: Math.sqrt(variance / (count - 1)) * ppl, scored: count, chunkPpl};
}

function check(condition, message) {
    if (!condition) throw new Error(`self-check failed: ${message}`);
}

/** A value printed on one line: a primitive, or an array of primitives or of arrays of primitives. */
function isLeaf(value) {
    if (value === null || typeof value !== "object") return true;
    return Array.isArray(value) && value.every((v) => v === null || typeof v !== "object" || (Array.isArray(v) && v.every((w) => typeof w !== "object")));
}

/** JSON with one line per record whose fields are all leaves (e.g. one recorded position per line). */
function formatJson(value, indent = "") {
    if (isLeaf(value) || (!Array.isArray(value) && Object.values(value).every(isLeaf))) return JSON.stringify(value);
    const inner = indent + " ";
    if (Array.isArray(value)) return `[\n${value.map((v) => inner + formatJson(v, inner)).join(",\n")}\n${indent}]`;
    const entries = Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`);
    return `{\n${entries.join(",\n")}\n${indent}}`;
}

const prompts = JSON.parse(readFileSync(promptsPath, "utf8"));
let text = readFileSync(textPath, "utf8");
// llama-perplexity's -f loader drops one trailing newline (common/arg.cpp); do the same.
if (text.endsWith("\n")) text = text.slice(0, -1);

console.error(`hashing ${modelPath}`);
const modelSha256 = await sha256File(modelPath);

// 1. tokenize with llama.cpp: prompts with special-token parsing, the perplexity text without it
//    (llama-perplexity tokenizes with parse_special = false); BOS is prepended to both.
const tokenized = runWorker({
    model: modelPath,
    context: CONTEXT,
    tasks: [...prompts.map((p) => ({kind: "tokenize", text: p.text, special: true})), {kind: "tokenize", text, special: false}],
});
check(tokenized.bos === BOS, `bos is ${tokenized.bos}`);
const promptIds = prompts.map((_, i) => [BOS, ...tokenized.results[i].ids]);
const textIds = [BOS, ...tokenized.results[prompts.length].ids];

check(prompts.length >= 16, `${prompts.length} prompts`);
for (const [i, ids] of promptIds.entries()) check(ids.length >= 128, `prompt ${prompts[i].name}: ${ids.length} tokens`);
check(promptIds.filter((ids) => ids.length > SLIDING_WINDOW).length >= 3, "fewer than 3 prompts longer than the sliding window");
check(Math.max(...promptIds.map((ids) => ids.length)) + GREEDY_STEPS <= CONTEXT.contextSize, "context too small");
for (const n of PERPLEXITY_WINDOWS) check(textIds.length >= 2 * n, `perplexity text has ${textIds.length} tokens, need ${2 * n}`);

// 2. teacher-forced logits, greedy continuations and perplexity windows
const evaluated = runWorker({
    model: modelPath,
    context: CONTEXT,
    tasks: [
        ...promptIds.map((ids) => ({kind: "prompt", ids, positions: recordedPositions(ids.length), topK: TOP_K, greedySteps: GREEDY_STEPS})),
        ...PERPLEXITY_WINDOWS.map((nCtx) => ({kind: "perplexity", ids: textIds, nCtx})),
    ],
});
check(evaluated.context.flashAttention === false && evaluated.context.kvCacheKeyType === "F32" && evaluated.context.kvCacheValueType === "F32", "context settings not applied");

const promptRecords = prompts.map((prompt, i) => {
    const {positions, greedy} = evaluated.results[i];
    for (const p of positions) {
        check(p.vocab === 262144, `${prompt.name} pos ${p.pos}: ${p.vocab} logits`);
        check(Number.isFinite(p.targetLogit) && p.lse >= p.top[0][1], `${prompt.name} pos ${p.pos}: bad lse/target`);
    }
    return {
        name: prompt.name,
        kind: prompt.kind,
        nTokens: promptIds[i].length,
        ids: promptIds[i],
        positions: positions.map((p) => ({
            pos: p.pos,
            target: p.target,
            targetLogit: round(p.targetLogit),
            lse: round(p.lse),
            margin: round(p.margin),
            top: p.top.map(([id, logit]) => [id, round(logit)]),
        })),
        greedy: {
            tokens: greedy.map((step) => step[0][0]),
            margins: greedy.map((step) => round(step[0][1] - step[1][1])),
            top2: greedy.map((step) => step.map(([id, logit]) => [id, round(logit)])),
        },
    };
});

const perplexityRuns = PERPLEXITY_WINDOWS.map((nCtx, k) => {
    const {windows} = evaluated.results[prompts.length + k];
    const summary = perplexitySummary(windows);
    check(windows.length === Math.floor(textIds.length / nCtx), `nCtx ${nCtx}: ${windows.length} windows`);
    check(summary.scored === windows.length * (nCtx - nCtx / 2 - 1), `nCtx ${nCtx}: ${summary.scored} scored tokens`);
    return {
        nCtx,
        chunks: windows.length,
        scored: summary.scored,
        ppl: round(summary.ppl),
        stderr: round(summary.stderr),
        chunkPpl: summary.chunkPpl.map(round),
        nll: windows.map((w) => w.nll.map(round)),
    };
});

const golden = {
    about: "llama.cpp reference outputs for the Gemma 3 270M Q4_K_M GGUF. Logits are rounded to 1e-5. " +
        "Positions are 0-based token indexes into `ids` (ids[0] is BOS); the logits at position p predict ids[p + 1] (`target`). " +
        "`lse` is log-sum-exp over all 262144 logits (float64), `margin` is top-1 minus top-2 logit. " +
        "Greedy: 32 argmax tokens continuing each prompt (not stopped at <eos>: every chosen token is fed back), with llama.cpp's top-2 (id, logit) at every step. " +
        "Perplexity: llama.cpp's method (tools/perplexity/perplexity.cpp): the text (one trailing newline removed) is tokenized once " +
        "without special-token parsing and BOS prepended, cut into floor(n/nCtx) windows of nCtx tokens, the first token of each window " +
        "replaced by BOS, and the predictions at positions nCtx/2 .. nCtx-2 of each window scored (`nll` per window, in order); " +
        "ppl = exp(mean NLL), stderr = ppl * sqrt((mean(NLL^2) - mean(NLL)^2) / (scored - 1)), chunkPpl = running ppl after each window.",
    generator: "scripts/ref/llama-golden.mjs",
    reference: {
        nodeLlamaCpp: packageVersion("node-llama-cpp"),
        prebuilt: `@node-llama-cpp/linux-x64@${packageVersion("@node-llama-cpp/linux-x64")}`,
        llamaCppRelease: evaluated.llamaCppRelease,
        llamaCppSourceBundleHead: bundleHead(),
        nodeVersion: process.version,
        cpu: cpus()[0]?.model ?? null,
    },
    model: {file: basename(modelPath), sha256: modelSha256, bytes: statSync(modelPath).size},
    settings: {...evaluated.context, gpuLayers: 0, bos: BOS, topK: TOP_K, greedySteps: GREEDY_STEPS, slidingWindow: SLIDING_WINDOW},
    prompts: promptRecords,
    perplexity: {
        text: relative(root, textPath),
        textSha256: createHash("sha256").update(readFileSync(textPath)).digest("hex"),
        nTokens: textIds.length,
        ids: textIds,
        runs: perplexityRuns,
    },
};

writeFileSync(outPath, formatJson(golden) + "\n");
const size = statSync(outPath).size;
check(size < 1.5e6, `golden is ${size} bytes`);
console.error(`wrote ${relative(root, outPath)} (${size} bytes)`);
for (const run of perplexityRuns) console.error(`perplexity nCtx=${run.nCtx}: ${run.ppl.toFixed(4)} +/- ${run.stderr.toFixed(5)} over ${run.scored} tokens in ${run.chunks} chunks`);
