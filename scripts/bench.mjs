// `npm run bench`: gemma-ts against llama.cpp on the same model file, threads, context and work.
//
// Usage: node scripts/bench.mjs [-m MODEL] [-t N] [--pp 512] [--tg 128] [--depth 4096] [--reps R] [--json]
// Runs, one after the other and each in its own child process: `node bin/gemma.js bench --json --kernels` (build
// dist/ first) and scripts/ref/llama-bench-worker.mjs (node-llama-cpp 3.22.1, CPU prebuilt) at depth 0, then both
// again at depth D (decode after D tokens already in the context; --depth 0 skips it). Then it measures this
// machine's memory read bandwidth with the same threads: the kernels' stream_read over 512 MiB, split between them.
// Prints a table (or, with --json, one object) with the machine, the date and the Node version; ratios are
// gemma-ts / llama.cpp. The decode bandwidth share is (weight bytes a decode step reads) x (decode tok/s) / bandwidth.
import {spawnSync} from "node:child_process";
import {readFileSync} from "node:fs";
import {availableParallelism, cpus} from "node:os";
import {parseArgs} from "node:util";
import {Worker} from "node:worker_threads";
import {Arena} from "../dist/src/kernels/arena.js";
import {moduleFor} from "../dist/src/kernels/wasm/bindings.js";

const {values} = parseArgs({
    options: {
        model: {type: "string", short: "m"},
        threads: {type: "string", short: "t"},
        pp: {type: "string", default: "512"},
        tg: {type: "string", default: "128"},
        depth: {type: "string", default: "4096"},
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

/** gemma bench and the llama.cpp worker on the same work at `depth`. */
function runPair(depth, extra) {
    const gemmaArgs = ["bin/gemma.js", "bench", "--json", "-t", threads, "--pp", values.pp, "--tg", values.tg, "--depth", String(depth), "--reps", values.reps, ...extra];
    if (values.model !== undefined) gemmaArgs.push("-m", values.model);
    const ours = runJson("gemma bench", gemmaArgs);
    const theirs = runJson("llama-bench-worker", [
        "scripts/ref/llama-bench-worker.mjs",
        JSON.stringify({model: ours.model, pp: ours.pp, tg: ours.tg, depth: ours.depth, reps: ours.reps, threads: ours.threads}),
    ]);
    return {ours, theirs};
}

/**
 * Read bandwidth in GB/s on `n` threads: each thread runs the kernels' stream_read over its own 512/n MiB of one
 * shared memory, all starting together; the median of 7 timed rounds (after one untimed) of the slowest thread.
 */
async function readBandwidth(n) {
    const bytes = 512 * 1024 * 1024;
    const arena = new Arena({initialBytes: bytes + (1 << 20), shared: true});
    const base = arena.alloc(bytes, 4096);
    // touch every page (untouched pages would all read the one zero page)
    arena.heapU8.fill(1, base, base + bytes);
    const module = await moduleFor(arena.memory);
    const part = Math.floor(bytes / n / 64) * 64;
    // control: [0] round to run, [1] threads done with it; times in ms per thread
    const control = new Int32Array(new SharedArrayBuffer(8));
    const times = new Float64Array(new SharedArrayBuffer(8 * n));
    const workers = [];
    for (let i = 0; i < n; i++) {
        workers.push(new Worker(STREAM_WORKER, {eval: true, workerData: {module, memory: arena.memory, control: control.buffer, times: times.buffer, index: i, p: base + i * part, bytes: part}}));
    }
    const rounds = [];
    try {
        for (let round = 1; round <= 8; round++) {
            Atomics.store(control, 1, 0);
            Atomics.store(control, 0, round);
            Atomics.notify(control, 0);
            while (Atomics.load(control, 1) < n) await new Promise((r) => setTimeout(r, 1));
            if (round > 1) rounds.push(Math.max(...times) / 1000);
        }
    } finally {
        Atomics.store(control, 0, -1);
        Atomics.notify(control, 0);
        await Promise.all(workers.map((w) => w.terminate()));
    }
    rounds.sort((a, b) => a - b);
    return (part * n) / rounds[3] / 1e9;
}

// One bandwidth thread: waits for each round number, streams its part, records its time.
const STREAM_WORKER = `
const {workerData} = require("node:worker_threads");
const {module, memory, index, p, bytes} = workerData;
const control = new Int32Array(workerData.control);
const times = new Float64Array(workerData.times);
const {stream_read} = new WebAssembly.Instance(module, {env: {memory}}).exports;
for (let seen = 0; ; ) {
    Atomics.wait(control, 0, seen);
    seen = Atomics.load(control, 0);
    if (seen < 0) break;
    const t0 = performance.now();
    stream_read(p, bytes);
    times[index] = performance.now() - t0;
    Atomics.add(control, 1, 1);
}
`;

function cpuModel() {
    try {
        return /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown";
    } catch {
        return cpus()[0]?.model ?? "unknown";
    }
}

const base = runPair(0, ["--kernels"]);
const depth = Number(values.depth);
const deep = depth > 0 ? runPair(depth, []) : undefined;
const bandwidth = await readBandwidth(Number(threads));
const machine = {cpu: cpuModel(), cores: availableParallelism(), date: new Date().toISOString(), node: process.version, read_bandwidth_gb_s: bandwidth};
const share = (r) => (base.ours.weights_bytes * r.decode_tok_s) / 1e9 / bandwidth;

// [key in --json's ratio, label, value, which is better, which run]
const metrics = [
    ["prefill_tok_s", "prefill tok/s", (r) => r.prefill_tok_s, "higher", base],
    ["decode_tok_s", "decode tok/s", (r) => r.decode_tok_s, "higher", base],
    ...(deep ? [["decode_tok_s_at_depth", `decode tok/s at depth ${depth}`, (r) => r.decode_tok_s, "higher", deep]] : []),
    ["ttft_ms", "time to first token ms", (r) => r.ttft_ms, "lower", base],
    ["load_ms", "load ms", (r) => r.load_ms, "lower", base],
    ["peak_rss_mb", "peak RSS MB", (r) => r.peak_rss_mb, "lower", base],
    // llama.cpp reads the same weight bytes per token (same file)
    ["decode_bandwidth_share", "decode share of read bandwidth", (r) => share(r), "higher", base],
];
const rows = metrics.map(([key, name, get, better, pair]) => ({key, name, better, ours: get(pair.ours), theirs: get(pair.theirs)}));

if (values.json) {
    const ratio = Object.fromEntries(rows.map((r) => [r.key, r.ours / r.theirs]));
    const out = {
        machine,
        gemma_ts: base.ours,
        llama_cpp: base.theirs,
        ...(deep ? {depth: {gemma_ts: deep.ours, llama_cpp: deep.theirs}} : {}),
        decode_bandwidth_share: {gemma_ts: share(base.ours), llama_cpp: share(base.theirs)},
        ratio,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + "\n");
} else {
    const ours = base.ours;
    const table = [["metric", "gemma-ts", "llama.cpp", "ratio"]];
    const cell = (r, v) => (r.key === "decode_bandwidth_share" ? `${(100 * v).toFixed(0)}%` : v.toFixed(1));
    for (const r of rows) table.push([`${r.name} (${r.better} is better)`, cell(r, r.ours), cell(r, r.theirs), (r.ours / r.theirs).toFixed(2)]);
    const kernels = [["weight type", "matrices", "MB", "matvec GB/s", "matvec GFLOP/s", "matmul GFLOP/s"]];
    for (const k of ours.kernels ?? []) {
        kernels.push([k.type, String(k.matrices), (k.bytes / 1e6).toFixed(1), k.matvec_gb_s.toFixed(1), k.matvec_gflop_s.toFixed(1), k.matmul_gflop_s?.toFixed(1) ?? "-"]);
    }
    const out = [
        `machine: ${machine.cpu}, ${machine.cores} cores; ${machine.date}; node ${machine.node}; ` +
            `read bandwidth ${bandwidth.toFixed(1)} GB/s on ${threads} threads (streaming read of 512 MiB)`,
        `model ${ours.model_file}; pp ${ours.pp}, tg ${ours.tg}, reps ${ours.reps}, ${ours.threads} threads; ` +
            `context ${ours.context_size} (llama.cpp rounds to ${base.theirs.context_size}); untimed ${ours.warmup_tokens}-token warm-up prefill each`,
        `gemma-ts: ${ours.backend}; llama.cpp: ${base.theirs.backend}, F32 K/V, no flash attention, batch ${ours.pp}, ` +
            "decode = one controlledEvaluate call per greedy token; its peak RSS counts the mmapped model pages it touched",
        `decode reads ${(ours.weights_bytes / 1e6).toFixed(1)} MB of weights per token`,
        "",
        ...markdown(table),
        "",
        `gemma-ts kernel throughput on the model's matrices (${ours.threads} threads; matmul = 64 tokens):`,
        "",
        ...markdown(kernels),
    ];
    process.stdout.write(out.join("\n") + "\n");
}

function markdown(table) {
    const widths = table[0].map((_, c) => Math.max(...table.map((r) => r[c].length)));
    const line = (r) => `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(" | ")} |`;
    return [line(table[0]), line(widths.map((w, c) => (c === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":"))), ...table.slice(1).map(line)];
}
