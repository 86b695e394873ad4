#!/usr/bin/env node
// Single-thread speed of the WebAssembly matrix-product kernels against the plain-TypeScript reference
// (src/quant vecDot), on the shapes of Gemma 3 270M: the 262144x640 Q8_0 LM head and the 640-wide layer
// matrices. Prints one JSON line per measurement: GB/s = weight bytes / time, GFLOP/s = 2·rows·cols·tokens / time.
// "cold" rotates over copies of the matrix (>= 64 MiB) so the weights come from DRAM, "hot" reuses one.
// With --threads N (N > 1) the WebAssembly kernels run on a worker pool of N threads (shared memory); rates
// are then per wall-clock second, otherwise per second of this process's CPU time.
// Usage: node --no-liftoff --import tsx scripts/bench-kernels.mjs [--quick] [--threads N]
//   (--no-liftoff: measure V8's optimizing tier from the first call; needs src/kernels/wasm/generated, see build-wasm.mjs)
import { readFileSync } from "node:fs";
import { Arena } from "../src/kernels/arena.ts";
import { createWasmKernels } from "../src/kernels/wasm/index.ts";
import { createNodeKernelPool } from "../src/platform/node/worker-pool.ts";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../src/quant/activations.ts";
import { vecDot } from "../src/quant/dot.ts";
import { GgmlType, rowBytes } from "../src/quant/types.ts";
import { Random, randomActivations, randomWeights } from "../test/kernels/wasm-random-blocks.ts";

const quick = process.argv.includes("--quick");
const threadsArg = process.argv.indexOf("--threads");
const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : 1;
const MIN_SECONDS = quick ? 0.3 : 1;

/** [name, type, rows, cols]: rows x cols as stored in the model (cols = the contracted dimension). */
const MATRICES = [
  ["lm_head", GgmlType.Q8_0, 262144, 640],
  ["ffn_down", GgmlType.Q4_K, 640, 2048],
  ["ffn_down", GgmlType.Q6_K, 640, 2048],
  ["ffn_gate", GgmlType.Q5_0, 2048, 640],
  ["attn_k", GgmlType.Q8_0, 256, 640],
  ["attn_output", GgmlType.Q4_K, 640, 1024],
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/**
 * Seconds per call of fn(i) (i counts calls) after warm-up: the median over samples of at least 20 ms each,
 * in this process's CPU time (the machine is shared, so wall time includes waiting for a core) and in wall time.
 */
function time(fn) {
  let i = 0;
  for (; i < 3; i++) fn(i);
  const cpu = [];
  const wall = [];
  const start = performance.now();
  while (cpu.length < 7 || performance.now() - start < MIN_SECONDS * 1000) {
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    let calls = 0;
    do {
      fn(i++);
      calls++;
    } while (performance.now() - w0 < 20);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6 / calls);
    wall.push((performance.now() - w0) / 1000 / calls);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

/** The measurement fields for `bytes` of weights and `flops` per call (wall time for a thread pool). */
function rates(t, bytes, flops, multi = false) {
  const s = multi ? t.wall : t.cpu;
  return {
    us: +(s * 1e6).toFixed(1),
    GBps: +(bytes / s / 1e9).toFixed(2),
    GFLOPs: +(flops / s / 1e9).toFixed(2),
    [multi ? "cpuUs" : "wallUs"]: +((multi ? t.cpu : t.wall) * 1e6).toFixed(1),
  };
}

function report(fields) {
  console.log(JSON.stringify(fields));
}

const rng = new Random(12345);
const env = { node: process.version, v8: process.versions.v8, loadavg: readFileSync("/proc/loadavg", "utf8").trim() };
report({ info: "env", ...env, threads, execArgv: process.execArgv });

for (const [name, type, rows, cols] of MATRICES) {
  const wBytes = rows * rowBytes(type, cols);
  const copies = wBytes >= 64 << 20 ? 1 : Math.ceil((64 << 20) / wBytes);
  const maxTok = 64;
  const actBytes = activationRowBytes(type, cols);
  const arena = new Arena({ initialBytes: copies * wBytes + maxTok * (actBytes + 4 * cols + 4 * rows) + (1 << 20), shared: threads > 1 });
  const kernels = threads > 1 ? await createNodeKernelPool(arena.memory, threads) : await createWasmKernels(arena.memory);
  const weights = randomWeights(type, Math.min(rows, 4096), cols, rng);
  const wPtrs = [];
  for (let c = 0; c < copies; c++) {
    const p = arena.alloc(wBytes);
    for (let off = 0; off < wBytes; off += weights.length) arena.heapU8.set(weights.subarray(0, Math.min(weights.length, wBytes - off)), p + off);
    wPtrs.push(p);
  }
  const xPtr = arena.alloc(maxTok * cols * 4);
  for (let t = 0; t < maxTok; t++) arena.heapF32.set(randomActivations(cols, rng), (xPtr >> 2) + t * cols);
  const actPtr = arena.alloc(maxTok * actBytes);
  const actType = vecDotType(type);
  for (let t = 0; t < maxTok; t++) {
    quantizeActivationRow(actType, arena.heapF32, (xPtr >> 2) + t * cols, cols, arena.heapU8, actPtr + t * actBytes);
  }
  const outPtr = arena.alloc(maxTok * rows * 4);
  const base = { matrix: name, type: Object.keys(GgmlType).find((k) => GgmlType[k] === type), rows, cols, MB: +(wBytes / 1e6).toFixed(2) };

  for (const nTok of [1, maxTok]) {
    const modes = nTok === 1 && copies > 1 ? ["cold", "hot"] : [copies > 1 ? "hot" : "cold"];
    for (const mode of modes) {
      const t = time((i) => kernels.matmul(type, wPtrs[mode === "cold" ? i % copies : 0], rows, cols, actPtr, nTok, outPtr));
      report({ ...base, impl: "wasm", threads, nTok, mode, ...rates(t, wBytes, 2 * rows * cols * nTok, threads > 1) });
    }
  }

  if (threads > 1) {
    await kernels.close();
    continue;
  }
  // The reference on a slice of rows, one token (it runs at well under 1 GB/s; the rate is per byte).
  const refRows = Math.min(rows, 4096);
  const heap = arena.heapU8;
  const rb = rowBytes(type, cols);
  const t = time(() => {
    for (let r = 0; r < refRows; r++) vecDot(type, cols, heap, wPtrs[0] + r * rb, heap, actPtr);
  });
  report({ ...base, impl: "js-reference", nTok: 1, mode: "hot", rowsTimed: refRows, ...rates(t, refRows * rb, 2 * refRows * cols) });

  // Activation quantization of one token row.
  const q = time(() => kernels.quantizeActivations(actType, xPtr, cols, actPtr));
  report({ ...base, impl: "wasm", op: "quantize activations", us: +(q.cpu * 1e6).toFixed(2) });
}
report({ info: "done", loadavg: readFileSync("/proc/loadavg", "utf8").trim() });
