import { GemmaError } from "../util/errors.js";
import { checkTokenIds } from "./batch.js";
import type { GeneratedChunk, GenerateOptions, GenerateResult } from "./generate.js";
import { GenerationState } from "./generation-state.js";
import type { MultiContext } from "./multi-context.js";
import { reusablePrefix } from "./sequence.js";

/** Counters of a scheduler since it was made (for metrics). */
export interface BatchStats {
  /** Forward steps run. */
  readonly steps: number;
  /** stepsBySequences[k]: steps that carried tokens of k sequences (index 0 unused). */
  readonly stepsBySequences: readonly number[];
  /** Prompt tokens evaluated, and prompt tokens found already in a slot's cache (not evaluated again). */
  readonly promptTokensEvaluated: number;
  readonly promptTokensCached: number;
  /** Tokens sampled. */
  readonly generatedTokens: number;
  /** Wall-clock milliseconds during which at least one generation was running. */
  readonly busyMs: number;
  /** Generations running now. */
  readonly active: number;
}

/** A slot: one sequence of the MultiContext, the ids in its cache, and the generation using it, if any. */
interface Slot {
  readonly index: number;
  readonly ids: number[];
  job: Job | undefined;
  /** Step at which it was last given to a generation (the least recently used free slot is reused first). */
  lastUsed: number;
}

interface Job {
  readonly slot: Slot;
  readonly prompt: readonly number[];
  readonly o: GenerateOptions;
  readonly state: GenerationState;
  readonly cachedTokens: number;
  /** Prompt tokens in the cache so far; the prompt is pre-filled when it reaches prompt.length. */
  fed: number;
  /** Tokens added to this step (prompt tokens, or the token sampled last); 0 when not in the step. */
  inStep: number;
  /** Index of this job's logits in the step, or -1. */
  out: number;
  /** The last sampled token, evaluated in the next step (1 element, reused). */
  readonly pending: Int32Array;
  readonly chunks: GeneratedChunk[];
  /** When it joined, and when its first logits came (its prompt pre-filled; 0 until then). */
  readonly t0: number;
  t1: number;
  finished: boolean;
  /** Left by its reader (the generator was closed early). */
  dropped: boolean;
  error: unknown;
  wake: (() => void) | undefined;
}

/**
 * Continuous batching over the sequences of a MultiContext: each generation gets a slot (a sequence) and the
 * scheduler advances every running generation together, one forward step at a time. A generation that starts
 * joins at the next step: its prompt is pre-filled in the rows the decoding generations leave free (chunked when
 * longer), then it decodes with the others; one that ends (or is aborted) leaves its slot at the step it ends.
 * A slot keeps its tokens after its generation, and a new prompt goes to the free slot holding the longest
 * prefix of it (within the sliding-window rollback limit), so a shared prefix is evaluated once.
 * Sampling, constraints, stop strings and logprobs run per generation (GenerationState). The context shift of
 * GenerateOptions does not apply: a generation that outgrows its slot's context fails with CONTEXT_OVERFLOW.
 */
export class BatchScheduler {
  readonly ctx: MultiContext;
  private readonly slots: Slot[];
  private readonly running: Job[] = [];
  /** The generations in the step being run (reused from step to step). */
  private readonly inStep: Job[] = [];
  private looping = false;
  private stepCount = 0;
  private readonly bySequences: number[];
  private evaluated = 0;
  private cached = 0;
  private generated = 0;
  private busy = 0;
  private busySince = 0;

  constructor(ctx: MultiContext) {
    this.ctx = ctx;
    this.slots = Array.from({ length: ctx.sequences }, (_, index) => ({ index, ids: [], job: undefined, lastUsed: -1 }));
    this.bySequences = new Array<number>(ctx.sequences + 1).fill(0);
  }

  /** Slots without a running generation. */
  get free(): number {
    return this.slots.length - this.running.length;
  }

  get stats(): BatchStats {
    return {
      steps: this.stepCount,
      stepsBySequences: [...this.bySequences],
      promptTokensEvaluated: this.evaluated,
      promptTokensCached: this.cached,
      generatedTokens: this.generated,
      busyMs: this.busy + (this.looping ? performance.now() - this.busySince : 0),
      active: this.running.length,
    };
  }

  /**
   * Runs one generation in a free slot (an error when none is free: whoever submits bounds the concurrency).
   * Nothing happens until the generator is first read; the slot is taken then.
   */
  async *generate(prompt: readonly number[], o: GenerateOptions): AsyncGenerator<GeneratedChunk, GenerateResult> {
    const job = this.join(prompt, o);
    try {
      for (;;) {
        while (job.chunks.length > 0) yield job.chunks.shift()!;
        if (job.finished) break;
        await new Promise<void>((resolve) => (job.wake = resolve));
      }
    } finally {
      // the reader left before the end: the next step drops the generation and frees its slot
      if (!job.finished) job.dropped = true;
    }
    if (job.error !== undefined) throw job.error;
    const s = job.state;
    const end = performance.now();
    return {
      tokens: s.tokens,
      text: s.text,
      finishReason: s.finishReason,
      promptTokens: prompt.length,
      cachedTokens: job.cachedTokens,
      prefillMs: (job.t1 || end) - job.t0,
      decodeMs: end - (job.t1 || end),
      shifts: 0,
    };
  }

  private join(prompt: readonly number[], o: GenerateOptions): Job {
    const ctx = this.ctx;
    if (prompt.length === 0) throw new GemmaError("BAD_PROMPT", "the prompt is empty");
    if (prompt.length > ctx.contextSize) {
      throw new GemmaError("CONTEXT_OVERFLOW", `the prompt has ${prompt.length} tokens; the context holds ${ctx.contextSize}`);
    }
    checkTokenIds(prompt, ctx.model.config.vocabSize);
    let slot: Slot | undefined;
    let keep = -1;
    for (const s of this.slots) {
      if (s.job) continue;
      const k = reusablePrefix(s.ids, prompt, ctx.maxRollback);
      if (k > keep || (k === keep && s.lastUsed < slot!.lastUsed)) {
        slot = s;
        keep = k;
      }
    }
    if (!slot) throw new GemmaError("BAD_PROMPT", `all ${this.slots.length} sequences are busy`);
    if (keep < slot.ids.length) {
      if (keep > 0) ctx.truncate(slot.index, keep);
      else ctx.clear(slot.index);
      slot.ids.length = keep;
    }
    const job: Job = {
      slot,
      prompt,
      o,
      state: new GenerationState(ctx.model, prompt, o),
      cachedTokens: keep,
      fed: keep,
      inStep: 0,
      out: -1,
      pending: new Int32Array(1),
      chunks: [],
      t0: performance.now(),
      t1: 0,
      finished: false,
      dropped: false,
      error: undefined,
      wake: undefined,
    };
    slot.job = job;
    slot.lastUsed = this.stepCount;
    this.cached += keep;
    this.running.push(job);
    if (!this.looping) void this.loop();
    return job;
  }

  /** Steps while any generation runs, yielding to the event loop between steps (streams flow, aborts arrive). */
  private async loop(): Promise<void> {
    this.looping = true;
    this.busySince = performance.now();
    try {
      while (this.running.length > 0) {
        this.step();
        await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      this.busy += performance.now() - this.busySince;
      this.looping = false;
    }
  }

  /** One forward step over every running generation. */
  private step(): void {
    const ctx = this.ctx;
    const running = this.running;
    // backwards: leaving removes a generation from the list
    for (let i = running.length - 1; i >= 0; i--) {
      const job = running[i]!;
      job.inStep = 0;
      job.out = -1;
      if (job.dropped || job.o.signal?.aborted) {
        job.state.abort();
        this.finish(job);
      } else if (job.fed === job.prompt.length && job.slot.ids.length >= ctx.contextSize) {
        this.fail(job, new GemmaError("CONTEXT_OVERFLOW", `the answer outgrew the context of ${ctx.contextSize} tokens`));
      }
    }
    if (running.length === 0) return;
    ctx.begin();
    const inStep = this.inStep;
    inStep.length = 0;
    // decoding generations first (one row each), then pre-fills in the rows left, oldest first
    for (const job of running) {
      if (job.fed < job.prompt.length) continue;
      job.out = ctx.add(job.slot.index, job.pending, 0, 1, true);
      job.inStep = 1;
      inStep.push(job);
    }
    for (const job of running) {
      if (job.fed >= job.prompt.length || ctx.room === 0) continue;
      const n = Math.min(ctx.room, job.prompt.length - job.fed);
      job.out = ctx.add(job.slot.index, job.prompt, job.fed, job.fed + n, job.fed + n === job.prompt.length);
      job.inStep = n;
      inStep.push(job);
    }
    try {
      ctx.run();
    } catch (e) {
      for (const job of inStep) {
        // the step wrote an unknown part of these sequences: their caches hold nothing reusable
        job.slot.ids.length = 0;
        ctx.clear(job.slot.index);
        this.fail(job, e);
      }
      return;
    }
    this.stepCount++;
    this.bySequences[inStep.length]!++;
    for (const job of inStep) {
      const ids = job.slot.ids;
      if (job.fed < job.prompt.length) {
        for (let i = job.fed; i < job.fed + job.inStep; i++) ids.push(job.prompt[i]!);
        job.fed += job.inStep;
        this.evaluated += job.inStep;
      } else {
        ids.push(job.pending[0]!);
      }
      if (job.out < 0) continue;
      if (job.t1 === 0) job.t1 = performance.now();
      try {
        const chunk = job.state.next(ctx.logits(job.out));
        if (chunk) {
          this.generated++;
          job.pending[0] = chunk.token!;
          this.emit(job, chunk);
        }
        if (job.state.done) this.finish(job);
      } catch (e) {
        // a failing constraint or sampler ends this generation only
        this.fail(job, e);
      }
    }
  }

  private emit(job: Job, chunk: GeneratedChunk): void {
    job.chunks.push(chunk);
    job.wake?.();
    job.wake = undefined;
  }

  /** Ends a generation: releases what it held back and frees its slot. */
  private finish(job: Job): void {
    const tail = job.state.flush();
    if (tail) this.emit(job, tail);
    this.leave(job);
  }

  private fail(job: Job, error: unknown): void {
    job.error = error;
    this.leave(job);
  }

  private leave(job: Job): void {
    job.finished = true;
    job.slot.job = undefined;
    this.running.splice(this.running.indexOf(job), 1);
    job.wake?.();
    job.wake = undefined;
  }
}
