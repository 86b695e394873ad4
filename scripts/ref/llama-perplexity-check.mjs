// Cross-checks the perplexity numbers in test/golden/model/gemma3-270m-q4km.llama.json (computed by
// scripts/ref/llama-golden.mjs through node-llama-cpp) against llama.cpp's own `llama-perplexity` tool, built
// from the same source (node-llama-cpp's bundled llama.cpp, CPU only, outside the repository):
//
//   git clone node_modules/node-llama-cpp/llama/gitRelease.bundle /root/llama-src
//   cmake -S /root/llama-src -B /root/llama-build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
//     -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
//     -DLLAMA_BUILD_SERVER=OFF -DBUILD_SHARED_LIBS=OFF
//   ninja -C /root/llama-build llama-perplexity
//
// Run: node scripts/ref/llama-perplexity-check.mjs [--binary PATH] [--model PATH]
// Writes test/golden/model/gemma3-270m-q4km.llama-perplexity.json and fails if a perplexity differs from the
// golden by more than 0.2 % (the project's tolerance for perplexity).
import {spawnSync} from "node:child_process";
import {readFileSync, writeFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const option = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at > 0 ? process.argv[at + 1] : fallback;
};
const binary = option("--binary", "/root/llama-build/bin/llama-perplexity");
const modelPath = option("--model", "/root/models/gemma-3-270m-q4_k_m.gguf");
const goldenPath = join(root, "test/golden/model/gemma3-270m-q4km.llama.json");
const outPath = join(root, "test/golden/model/gemma3-270m-q4km.llama-perplexity.json");
const TOLERANCE = 0.002;

const golden = JSON.parse(readFileSync(goldenPath, "utf8"));
const textPath = join(root, golden.perplexity.text);
const versionRun = spawnSync(binary, ["--version"], {encoding: "utf8"});
const version = `${versionRun.stdout}${versionRun.stderr}`.trim();

/**
 * Runs llama-perplexity with the golden's settings (one window per decode, F32 K/V, no flash attention) and
 * returns stdout and stderr together: the chunk values go to one, the final estimate to the other.
 */
function runTool(nCtx) {
    const args = ["-m", modelPath, "-f", textPath, "-c", String(nCtx), "-b", String(nCtx), "-ub", String(nCtx),
        "-t", "1", "-ngl", "0", "-fa", "off", "-ctk", "f32", "-ctv", "f32"];
    const run = spawnSync(binary, args, {encoding: "utf8", maxBuffer: 64 << 20});
    if (run.status !== 0) throw new Error(`llama-perplexity exited with ${run.status}: ${run.stderr}`);
    return {args, output: `${run.stdout}\n${run.stderr}`};
}

function parse(output) {
    const final = /Final estimate: PPL = ([\d.]+) \+\/- ([\d.]+)/.exec(output);
    if (final === null) throw new Error("no 'Final estimate' line in llama-perplexity output");
    const chunkPpl = [...output.matchAll(/\[(\d+)\]([\d.]+),/g)].map((m) => Number(m[2]));
    return {ppl: Number(final[1]), stderr: Number(final[2]), chunkPpl};
}

const runs = golden.perplexity.runs.map((run) => {
    console.error(`llama-perplexity -c ${run.nCtx}`);
    const {args, output} = runTool(run.nCtx);
    const tool = parse(output);
    const relDiff = Math.abs(tool.ppl - run.ppl) / run.ppl;
    const chunkRelDiff = Math.max(...tool.chunkPpl.map((p, i) => Math.abs(p - run.chunkPpl[i]) / run.chunkPpl[i]));
    if (tool.chunkPpl.length !== run.chunks) throw new Error(`nCtx ${run.nCtx}: ${tool.chunkPpl.length} chunks, golden ${run.chunks}`);
    if (relDiff > TOLERANCE) throw new Error(`nCtx ${run.nCtx}: llama-perplexity ${tool.ppl}, golden ${run.ppl}`);
    console.error(`  tool ${tool.ppl} +/- ${tool.stderr}, golden ${run.ppl} +/- ${run.stderr}, relative difference ${relDiff.toExponential(2)}`);
    return {
        nCtx: run.nCtx,
        args: args.map((a) => a === modelPath ? "MODEL" : a === textPath ? golden.perplexity.text : a),
        tool,
        golden: {ppl: run.ppl, stderr: run.stderr, chunkPpl: run.chunkPpl},
        relDiff,
        maxChunkRelDiff: chunkRelDiff,
    };
});

writeFileSync(outPath, JSON.stringify({
    about: "llama.cpp's llama-perplexity tool (built from node-llama-cpp's bundled llama.cpp source, CPU) on the same " +
        "model and text as the perplexity section of gemma3-270m-q4km.llama.json; the tool prints ppl to 4 decimals and " +
        "stderr to 5. relDiff = |tool - golden| / golden.",
    generator: "scripts/ref/llama-perplexity-check.mjs",
    tool: {version, llamaCppSourceBundleHead: golden.reference.llamaCppSourceBundleHead},
    model: golden.model,
    text: golden.perplexity.text,
    textSha256: golden.perplexity.textSha256,
    runs,
}, null, 1) + "\n");
console.error(`wrote ${outPath}`);
