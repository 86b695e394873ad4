import { BatchScheduler, type BatchStats } from "../engine/batch-scheduler.js";
import type { GenerateResult } from "../engine/generate.js";
import { resolveGeneration } from "../engine/generation-options.js";
import { GenerationStream } from "../engine/generation-stream.js";
import { MultiContext } from "../engine/multi-context.js";
import type { CompletionOptions, GemmaModel } from "./model.js";

/**
 * Up to `sequences` generations of one model running at once, advanced together in batched forward steps
 * (continuous batching: engine/batch-scheduler.ts). Each sequence has its own KV cache with the model's context
 * options, separate from the model's own (GemmaModel.generate and chat sessions). Whoever starts generations keeps
 * at most `sequences` of them running: one more is an error (a server queues the rest).
 */
export class BatchedModel {
  readonly model: GemmaModel;
  private readonly scheduler: BatchScheduler;

  constructor(model: GemmaModel, sequences: number) {
    this.model = model;
    const o = model.options;
    this.scheduler = new BatchScheduler(
      new MultiContext(model.model, { sequences, contextSize: o.contextSize, batchSize: o.batchSize, swaFull: o.swaFull, kvType: o.kvType }),
    );
  }

  /** Sequences held. */
  get sequences(): number {
    return this.scheduler.ctx.sequences;
  }

  /** Positions each sequence holds. */
  get contextSize(): number {
    return this.scheduler.ctx.contextSize;
  }

  /** Generations that can start now. */
  get free(): number {
    return this.scheduler.free;
  }

  /** Steps, batch sizes, tokens evaluated, reused and generated so far. */
  get stats(): BatchStats {
    return this.scheduler.stats;
  }

  /**
   * Continues a prompt of token ids, as GemmaModel.generate does, in a free sequence (the one holding the longest
   * prefix of the prompt). contextOverflow "shift" does not apply: an answer that outgrows the context fails.
   */
  generate(prompt: readonly number[], opts: CompletionOptions = {}): GenerationStream<GenerateResult> {
    const gen = resolveGeneration(this.model.model, this.contextSize, opts);
    const ids = [...prompt];
    return new GenerationStream((signal) => this.scheduler.generate(ids, { ...gen, signal }), opts.signal);
  }
}
