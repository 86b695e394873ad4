// Seeded fuzzing of the GGUF reader: >= 10,000 malformed inputs derived from the committed fixtures
// must each parse into a consistent file or fail with a GemmaError. The loop runs in a worker
// thread so a hang on one input is detected (a watchdog, not a timing assertion), and the reader's
// reads and the heap are bounded. Reproduce a failure with GGUF_FUZZ_SEED=<seed>.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";

const SEED = Number(process.env.GGUF_FUZZ_SEED ?? 0x5eed_6a7f);
const RANDOM_INPUTS = Number(process.env.GGUF_FUZZ_INPUTS ?? 10_000);
const STALL_MS = 10_000;
/** Generous bounds: the fixtures are a few KB, so anything near these means runaway allocation. */
const HEAP_GROWTH_LIMIT = 256 * 2 ** 20;
const EXTERNAL_GROWTH_LIMIT = 64 * 2 ** 20;
const FIXTURES = [
  "all-types.gguf",
  "aligned-128.gguf",
  "v2.gguf",
  "split-00001-of-00003.gguf",
  "split-00002-of-00003.gguf",
  "split-00003-of-00003.gguf",
  "ours-edge.gguf",
];

interface Done {
  kind: "done";
  total: number;
  systematic: number;
  counts: { parsed: number; refused: number };
  heapPeak: number;
  externalPeak: number;
}

test(`fuzz: every malformed GGUF parses consistently or throws GemmaError (seed ${SEED})`, async () => {
  const worker = new Worker(new URL("./fuzz-worker-boot.mjs", import.meta.url), {
    workerData: { seed: SEED, randomInputs: RANDOM_INPUTS, fixtures: FIXTURES, readAllowance: 0 },
  });
  let current = { index: -1, what: "(not started)" };
  let lastProgress = Date.now();
  const result = await new Promise<Done>((resolve, reject) => {
    const watchdog = setInterval(() => {
      if (Date.now() - lastProgress > STALL_MS) {
        clearInterval(watchdog);
        void worker.terminate();
        reject(new Error(`seed ${SEED}: input ${current.index} (${current.what}) made no progress for ${STALL_MS / 1000} s`));
      }
    }, 500);
    worker.on("message", (m: { kind: string; index: number; what: string; error?: string }) => {
      lastProgress = Date.now();
      if (m.kind === "start") current = m;
      else if (m.kind === "fail") {
        clearInterval(watchdog);
        reject(new Error(`seed ${SEED}: input ${m.index} (${m.what}) failed:\n${m.error}`));
      } else if (m.kind === "done") {
        clearInterval(watchdog);
        resolve(m as unknown as Done);
      }
    });
    worker.on("error", (e) => {
      clearInterval(watchdog);
      reject(new Error(`seed ${SEED}: worker died at input ${current.index} (${current.what}): ${e.stack ?? e}`));
    });
  });
  await worker.terminate();
  assert.ok(result.total >= 10_000, `${result.total} inputs`);
  assert.ok(result.counts.parsed > 0 && result.counts.refused > 0, JSON.stringify(result.counts));
  assert.ok(result.heapPeak < HEAP_GROWTH_LIMIT, `heap grew by ${result.heapPeak} bytes`);
  assert.ok(result.externalPeak < EXTERNAL_GROWTH_LIMIT, `array buffers grew by ${result.externalPeak} bytes`);
  console.log(
    `gguf fuzz: ${result.total} inputs (${result.systematic} systematic truncations), ${result.counts.parsed} parsed, ` +
      `${result.counts.refused} refused; heap peak +${(result.heapPeak / 2 ** 20).toFixed(1)} MiB`,
  );
});
