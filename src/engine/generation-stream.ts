import { GemmaError } from "../util/errors.js";
import type { GeneratedChunk } from "./generate.js";

/**
 * A running generation: read it with `for await (const chunk of stream)`, then (or instead) `await
 * stream.finished()` for the totals. Nothing runs until one of the two starts it. Leaving the loop early (break,
 * an exception) stops the generation cleanly, as does the AbortSignal of its options.
 */
export class GenerationStream<R extends { readonly text: string }> implements AsyncIterable<GeneratedChunk> {
  private readonly controller = new AbortController();
  private readonly source: AsyncGenerator<GeneratedChunk, R>;
  private started = false;
  private result: Promise<R> | undefined;
  private settle: { resolve: (r: R) => void; reject: (e: unknown) => void } | undefined;

  /** `start` receives the signal to pass to the generation: aborted by `signal` or by leaving the loop early. */
  constructor(start: (signal: AbortSignal) => AsyncGenerator<GeneratedChunk, R>, signal?: AbortSignal) {
    if (signal?.aborted) this.controller.abort();
    else signal?.addEventListener("abort", () => this.controller.abort(), { once: true });
    this.source = start(this.controller.signal);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GeneratedChunk, void> {
    if (this.started) throw new GemmaError("BAD_PROMPT", "a generation stream can be read only once");
    this.started = true;
    const done = this.track();
    let finished = false;
    try {
      for (;;) {
        const step = await this.source.next();
        if (step.done) {
          finished = true;
          done.resolve(step.value);
          return;
        }
        yield step.value;
      }
    } catch (e) {
      finished = true;
      done.reject(e);
      throw e;
    } finally {
      if (!finished) await this.drain(done, true);
    }
  }

  /** Stops the generation at the next token (the result's finishReason is then "abort"). */
  abort(): void {
    this.controller.abort();
  }

  /** Runs the generation to its end (reading whatever was not read) and gives its result. */
  finished(): Promise<R> {
    if (!this.started) {
      this.started = true;
      void this.drain(this.track(), false);
    }
    return this.result!;
  }

  /** The whole text, once the generation ends. */
  async text(): Promise<string> {
    return (await this.finished()).text;
  }

  private track(): { resolve: (r: R) => void; reject: (e: unknown) => void } {
    this.result = new Promise<R>((resolve, reject) => (this.settle = { resolve, reject }));
    // a result nobody awaits must not become an unhandled rejection: the error also reaches the reader
    this.result.catch(() => undefined);
    return this.settle!;
  }

  /** Reads the generation to its end; `stop` first aborts it (the reader left early). */
  private async drain(done: { resolve: (r: R) => void; reject: (e: unknown) => void }, stop: boolean): Promise<void> {
    if (stop) this.controller.abort();
    try {
      let step = await this.source.next();
      while (!step.done) step = await this.source.next();
      done.resolve(step.value);
    } catch (e) {
      done.reject(e);
    }
  }
}
