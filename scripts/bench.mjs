// `npm run bench`: gemma-ts against llama.cpp on the same model file, threads, context and work.
//
// Usage: node scripts/bench.mjs [-m MODEL] [-t N] [--pp 512] [--tg 128] [--depth D] [--reps R] [--json]
// Runs `node bin/gemma.js bench --json` (build dist/ first), then scripts/ref/llama-bench-worker.mjs (node-llama-cpp
// 3.22.1, CPU prebuilt), each in its own child process, one after the other, and prints a table (or, with --json,
// one object) with the machine, the date and the Node version. Ratios are gemma-ts / llama.cpp.
import {spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";
import {availableParallelism, cpus} from "node:os";
import {parseArgs} from "node:util";

const {values} = parseArgs({
    options: {
        model: {type: "string", short: "m"},
        threads: {type: "string", short: "t"},
        pp: {type: "string", default: "512"},
        tg: {type: "string", default: "128"},
        depth: {type: "string", default: "0"},
        reps: {type: "string", default: "1"},
        json: {type: "boolean", default: false},
    },
});
const threads = values.threads ?? String(availableParallelism());

function runJson(label, args) {
    const r = spawnSync(process.execPath, args, {encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 24});
    if (r.status !== 0) {
        process.stderr.write(r.stderr);
        throw new Error(`${label} exited with ${r.status ?? r.signal}`);
    }
    return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const gemmaArgs = ["bin/gemma.js", "bench", "--json", "-t", threads, "--pp", values.pp, "--tg", values.tg, "--depth", values.depth, "--reps", values.reps];
if (values.model !== undefined) gemmaArgs.push("-m", values.model);
const ours = runJson("gemma bench", gemmaArgs);
const theirs = runJson("llama-bench-worker", [
    "scripts/ref/llama-bench-worker.mjs",
    JSON.stringify({model: ours.model, pp: ours.pp, tg: ours.tg, depth: ours.depth, reps: ours.reps, threads: ours.threads}),
]);

function cpuModel() {
    try {
        return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown";
    } catch {
        return cpus()[0]?.model ?? "unknown";
    }
}

const machine = {cpu: cpuModel(), cores: availableParallelism(), date: new Date().toISOString(), node: process.version};
const metrics = [
    ["prefill tok/s", "prefill_tok_s", "higher"],
    ["decode tok/s", "decode_tok_s", "higher"],
    ["time to first token ms", "ttft_ms", "lower"],
    ["load ms", "load_ms", "lower"],
    ["peak RSS MB", "peak_rss_mb", "lower"],
];

if (values.json) {
    const ratio = Object.fromEntries(metrics.map(([, key]) => [key, ours[key] / theirs[key]]));
    process.stdout.write(JSON.stringify({machine, gemma_ts: ours, llama_cpp: theirs, ratio}, null, 2) + "\n");
} else {
    const rows = [["metric", "gemma-ts", "llama.cpp", "ratio"]];
    for (const [name, key, better] of metrics) {
        rows.push([`${name} (${better} is better)`, ours[key].toFixed(1), theirs[key].toFixed(1), (ours[key] / theirs[key]).toFixed(2)]);
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    const line = (r) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ")} |`;
    const out = [
        `machine: ${machine.cpu}, ${machine.cores} cores; ${machine.date}; node ${machine.node}`,
        `model ${ours.model_file}; pp ${ours.pp}, tg ${ours.tg}, depth ${ours.depth}, reps ${ours.reps}, ${ours.threads} threads; ` +
            `context ${ours.context_size} (llama.cpp rounds to ${theirs.context_size}); untimed ${ours.warmup_tokens}-token warm-up prefill each`,
        `gemma-ts: ${ours.backend}; llama.cpp: ${theirs.backend}, F32 K/V, no flash attention, batch ${ours.pp}, ` +
            "decode = one controlledEvaluate call per greedy token; its peak RSS counts the mmapped model pages it touched",
        "",
        line(rows[0]),
        line(widths.map((w, c) => (c === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":"))),
        ...rows.slice(1).map(line),
    ];
    process.stdout.write(out.join("\n") + "\n");
}
