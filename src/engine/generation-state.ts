import type { Model } from "../model/model.js";
import type { StreamDecoder } from "../tokenizer/index.js";
import type { FinishReason, GeneratedChunk, GenerateOptions } from "./generate.js";
import { sampleConstrained } from "./grammar/sample-constrained.js";
import { LogprobReader } from "./logprobs.js";
import { DEFAULT_SAMPLING, Sampler } from "./sample.js";
import { StopStringMatcher } from "./stop-strings.js";

/**
 * What one generation decides from the logits, token after token, whoever evaluates the model (a lone sequence in
 * generate(), or a slot of a batch): sampling with its penalties over the prompt's tail, the constraint, stop
 * tokens, stop strings, the token limit, streamed UTF-8 text and log-probabilities.
 */
export class GenerationState {
  /** Every sampled token (a stop token excluded). */
  readonly tokens: number[] = [];
  /** The text so far (a stop string excluded). */
  text = "";
  finishReason: FinishReason = "length";
  /** No more tokens: a stop token or string, the limit, or an abort. */
  done = false;
  private readonly o: GenerateOptions;
  private readonly vocab: number;
  private readonly sampler: Sampler;
  private readonly decoder: StreamDecoder;
  private readonly stops: StopStringMatcher;
  private readonly reader: LogprobReader | undefined;

  constructor(model: Model, prompt: readonly number[], o: GenerateOptions) {
    this.o = o;
    this.vocab = model.config.vocabSize;
    this.sampler = new Sampler(this.vocab, o.sampling);
    const lastN = o.sampling.repeatLastN ?? DEFAULT_SAMPLING.repeatLastN;
    for (let i = Math.max(0, prompt.length - lastN); i < prompt.length; i++) this.sampler.accept(prompt[i]!);
    this.decoder = model.tokenizer.streamDecoder();
    this.stops = new StopStringMatcher(o.stopStrings ?? []);
    this.reader = o.logprobs === undefined ? undefined : new LogprobReader(o.logprobs);
    if (o.maxTokens < 1) this.done = true;
  }

  /**
   * Chooses the next token from `logits` (read now, not kept). Returns the chunk it makes, or undefined when it is
   * a stop token; `done` tells whether generation goes on.
   */
  next(logits: Float32Array): GeneratedChunk | undefined {
    const o = this.o;
    this.reader?.observe(logits, this.vocab);
    const next = o.constraint ? sampleConstrained(logits, o.constraint, (l) => this.sampler.sample(l, this.vocab)) : this.sampler.sample(logits, this.vocab);
    if (o.stopTokens.includes(next)) {
      this.end("stop");
      return undefined;
    }
    o.constraint?.accept(next);
    this.sampler.accept(next);
    this.tokens.push(next);
    const piece = this.stops.push(this.decoder.push(next));
    this.text += piece;
    if (this.stops.stopped) this.end("stop");
    else if (this.tokens.length >= o.maxTokens) this.end("length");
    return this.reader ? { token: next, text: piece, logprobs: this.reader.chosen(next, logits[next]!) } : { token: next, text: piece };
  }

  /** Ends the generation early (an abort). */
  abort(): void {
    this.end("abort");
  }

  /**
   * The text held back at the end (the start of a stop string that never completed, an unfinished UTF-8
   * character) as a last chunk, or undefined when there is none. Call once, after the generation is done.
   */
  flush(): GeneratedChunk | undefined {
    if (this.stops.stopped) return undefined;
    const tail = this.stops.push(this.decoder.flush()) + this.stops.flush();
    if (this.stops.stopped) this.finishReason = "stop";
    if (tail === "") return undefined;
    this.text += tail;
    return { text: tail };
  }

  private end(reason: FinishReason): void {
    this.done = true;
    this.finishReason = reason;
  }
}
