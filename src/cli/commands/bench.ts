import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { Context } from "../../engine/context.js";
import { jsonSchemaConstraint, sampleConstrained, vocabBytes, type TokenConstraint } from "../../engine/grammar/index.js";
import { stopTokens } from "../../engine/prompt.js";
import { argmax } from "../../engine/sample.js";
import type { Model } from "../../model/model.js";
import type { Tokenizer } from "../../tokenizer/tokenizer.js";
import { boolArg, intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { readJsonFile } from "../generation-flags.js";
import { CONTEXT_OPTIONS, MODEL_OPTIONS, kvType, loadModelFromArgs } from "../model-options.js";
import { measureKernels } from "./bench-kernels.js";

/** Tokens of the untimed warm-up prefill (it pages in the weights and starts the worker threads). */
const WARMUP_TOKENS = 8;
/** The benchmark feeds ids FIRST_ID.. FIRST_ID + ID_SPAN - 1 in turn: plain pieces in Gemma vocabularies. */
const FIRST_ID = 1000;
const ID_SPAN = 1000;

interface RepTimes {
  readonly prefillMs: number;
  readonly ttftMs: number;
  readonly decodeMs: number;
}

/**
 * `gemma bench`: prefill and decode speed, time to first token, load time and peak memory, on deterministic
 * token ids (BOS, then ids 1000..1999 in turn, never a control token). scripts/bench.mjs runs llama.cpp on the
 * same work for comparison. With --json-schema FILE it also times the same decode with each greedy token drawn under
 * that schema's constraint (sampleConstrained: argmax, then mask and argmax again only if refused), and reports the
 * constraint's cost as constraint_overhead = unconstrained / constrained decode speed - 1.
 */
export const benchCommand: Command = {
  name: "bench",
  summary: "measure prefill and decode speed, time to first token, load time and peak memory",
  usage: "gemma bench [-m MODEL] [-t N] [--pp 512] [--tg 128] [--depth D] [--kv-type f32|f16|q8_0] [--reps R] [--json-schema FILE] [--kernels] [--json]",
  options: {
    ...MODEL_OPTIONS,
    pp: { type: "string" },
    tg: { type: "string" },
    depth: { type: "string" },
    reps: { type: "string" },
    json: { type: "boolean" },
    "json-schema": { type: "string" },
    kernels: { type: "boolean" },
    "kv-type": CONTEXT_OPTIONS["kv-type"]!,
  },
  async run(values, _positionals, io) {
    const pp = intArg(values, "pp", 1, 1 << 20) ?? 512;
    const tg = intArg(values, "tg", 1, 1 << 20) ?? 128;
    const depth = intArg(values, "depth", 0, 1 << 24) ?? 0;
    const reps = intArg(values, "reps", 1, 1000) ?? 1;
    const threads = intArg(values, "threads", 1, 1024) ?? availableParallelism();
    const json = boolArg(values, "json");
    const schemaPath = stringArg(values, "json-schema");
    const schema = schemaPath === undefined ? undefined : await readJsonFile(schemaPath);

    const memory = new PeakMemory();
    const t0 = performance.now();
    const model = await loadModelFromArgs(values, io);
    const loadMs = performance.now() - t0;
    memory.sample();

    const ids = benchTokens(model.tokenizer, depth + pp);
    // One forward step for the whole prefill, as llama.cpp does with a batch size >= pp.
    const ctx = new Context(model, { contextSize: depth + pp + tg, batchSize: pp, kvType: kvType(values) });
    ctx.evaluate(ids.slice(0, Math.min(WARMUP_TOKENS, ids.length)));
    ctx.clear();
    const times: RepTimes[] = [];
    for (let r = 0; r < reps; r++) {
      times.push(timeOnce(ctx, ids, depth, tg));
      ctx.clear();
      memory.sample();
    }

    const mean = (f: (t: RepTimes) => number) => times.reduce((s, t) => s + f(t), 0) / times.length;
    const prefillMs = mean((t) => t.prefillMs);
    const decodeMs = mean((t) => t.decodeMs);
    let constrainedDecodeMs: number | undefined;
    if (schema !== undefined) {
      const tok = model.tokenizer;
      const ends = stopTokens(tok);
      const vocab = vocabBytes(tok, ends);
      const constraint = () => jsonSchemaConstraint(vocab, schema);
      // untimed: the first mask builds the vocabulary's prefix tree, a once-per-model cost
      constraint().mask(new Float32Array(tok.vocabSize));
      let sum = 0;
      for (let r = 0; r < reps; r++) {
        sum += timeConstrainedDecode(ctx, ids, tg, constraint, ends);
        ctx.clear();
        memory.sample();
      }
      constrainedDecodeMs = sum / reps;
    }
    // after every timed run and RSS sample: the measurement allocates a few MB of scratch
    const kernels = boolArg(values, "kernels") ? measureKernels(model) : undefined;
    const result = {
      prefill_tok_s: (pp * 1000) / prefillMs,
      decode_tok_s: (tg * 1000) / decodeMs,
      ttft_ms: mean((t) => t.ttftMs),
      load_ms: loadMs,
      peak_rss_mb: memory.peakMb(),
      pp,
      tg,
      depth,
      reps,
      threads,
      context_size: ctx.contextSize,
      kv_type: ctx.kvType,
      kv_bytes: ctx.kvBytes,
      model: model.info.source,
      model_file: basename(model.info.source),
      backend: backendName(model, threads),
      weights_bytes: weightBytes(model),
      warmup_tokens: Math.min(WARMUP_TOKENS, ids.length),
      ...(constrainedDecodeMs === undefined
        ? {}
        : { constrained_decode_tok_s: (tg * 1000) / constrainedDecodeMs, constraint_overhead: constrainedDecodeMs / decodeMs - 1 }),
      ...(kernels === undefined ? {} : { kernels }),
    };
    if (json) {
      io.stdout.write(JSON.stringify(result) + "\n");
    } else {
      const f = (x: number) => x.toFixed(1);
      io.stdout.write(
        `model ${result.model_file}, backend ${result.backend}, ${threads} threads, pp ${pp}, tg ${tg}, depth ${depth}, ` +
          `${reps} rep(s) after an untimed ${result.warmup_tokens}-token warm-up prefill\n` +
          `prefill   ${f(result.prefill_tok_s)} tok/s\n` +
          `decode    ${f(result.decode_tok_s)} tok/s\n` +
          (constrainedDecodeMs === undefined
            ? ""
            : `decode    ${f(result.constrained_decode_tok_s!)} tok/s under --json-schema (overhead ${(result.constraint_overhead! * 100).toFixed(1)}%)\n`) +
          `ttft      ${f(result.ttft_ms)} ms\n` +
          `load      ${f(loadMs)} ms\n` +
          `peak RSS  ${f(result.peak_rss_mb)} MB\n` +
          (kernels ?? [])
            .map((k) => `kernel ${k.type.padEnd(6)} matvec ${f(k.matvec_gb_s)} GB/s (${f(k.matvec_gflop_s)} GFLOP/s)` +
              (k.matmul_gflop_s === undefined ? "" : `, matmul ${f(k.matmul_gflop_s)} GFLOP/s`) + "\n")
            .join(""),
      );
    }
    return 0;
  },
};

/**
 * One measurement on an empty context: `depth` tokens (untimed), then the timed prefill of the next pp tokens
 * (logits for the last only), the first greedy token, and tg single-token decode steps.
 */
function timeOnce(ctx: Context, ids: readonly number[], depth: number, tg: number): RepTimes {
  if (depth > 0) ctx.evaluate(ids.slice(0, depth), { logits: "none" });
  const prompt = ids.slice(depth);
  let next = 0;
  const pick = (_i: number, logits: Float32Array) => (next = argmax(logits));
  const t0 = performance.now();
  ctx.evaluate(prompt, { logits: "last", onLogits: pick });
  const t1 = performance.now();
  const step = [0];
  for (let i = 0; i < tg; i++) {
    step[0] = next;
    ctx.evaluate(step, { logits: "last", onLogits: pick });
  }
  const t2 = performance.now();
  // argmax runs inside onLogits, so the prefill time already includes picking the first token.
  return { prefillMs: t1 - t0, ttftMs: t1 - t0, decodeMs: t2 - t1 };
}

/**
 * The decode of timeOnce under a JSON-schema constraint: the prefill (depth and pp tokens) is untimed, then tg
 * greedy tokens each drawn with sampleConstrained. An end token closes the document and the next token starts a
 * new one under a fresh constraint (compiling it is timed, as each request pays it), so every run decodes tg tokens.
 */
function timeConstrainedDecode(
  ctx: Context,
  ids: readonly number[],
  tg: number,
  constraint: () => TokenConstraint,
  ends: readonly number[],
): number {
  let next = 0;
  let c = constraint();
  const pick = (_i: number, logits: Float32Array) => (next = sampleConstrained(logits, c, argmax));
  ctx.evaluate(ids, { logits: "last", onLogits: pick });
  const step = [0];
  const t0 = performance.now();
  for (let i = 0; i < tg; i++) {
    c.accept(next);
    if (ends.includes(next)) c = constraint();
    step[0] = next;
    ctx.evaluate(step, { logits: "last", onLogits: pick });
  }
  return performance.now() - t0;
}

/** BOS (when the vocabulary has one), then ids from FIRST_ID on in turn, skipping control pieces. */
export function benchTokens(tok: Tokenizer, n: number): number[] {
  const first = tok.vocabSize > FIRST_ID + ID_SPAN ? FIRST_ID : 0;
  const pool: number[] = [];
  for (let id = first; id < Math.min(first + ID_SPAN, tok.vocabSize); id++) if (!tok.isControl(id)) pool.push(id);
  const out: number[] = [];
  if (tok.bos >= 0 && n > 0) out.push(tok.bos);
  for (let i = 0; out.length < n; i++) out.push(pool[i % pool.length]!);
  return out;
}

/** Bytes of the weight matrices a decode step reads (the tied embedding once, as the LM head). */
function weightBytes(model: Model): number {
  const w = model.weights;
  const mats = new Set([w.output, ...w.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown])]);
  return [...mats].reduce((s, m) => s + m.rows * m.rowBytes, 0);
}

function backendName(model: Model, threads: number): string {
  if (!model.wasm) return "ref";
  return threads > 1 ? `wasm-simd (${threads} worker threads)` : "wasm-simd";
}

/** Peak resident memory: the kernel's high-water mark (VmHWM) on Linux, else the largest RSS sampled. */
class PeakMemory {
  private maxRss = 0;

  sample(): void {
    this.maxRss = Math.max(this.maxRss, process.memoryUsage().rss);
  }

  peakMb(): number {
    this.sample();
    const hwm = readVmHwmKb();
    return (hwm === undefined ? this.maxRss : hwm * 1024) / (1024 * 1024);
  }
}

function readVmHwmKb(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
