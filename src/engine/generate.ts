import { GemmaError } from "../util/errors.js";
import { GenerationState } from "./generation-state.js";
import type { TokenConstraint } from "./grammar/constraint.js";
import type { TokenLogprobs } from "./logprobs.js";
import type { SamplingOptions } from "./sample.js";
import type { TokenSequence } from "./sequence.js";

/**
 * Called when the context is full (or the prompt alone does not fit) with the whole token list that should be in
 * it and the tokens generated so far; returns a shorter list to continue from (re-evaluated from where it
 * departs from the cache), or undefined to fail with CONTEXT_OVERFLOW.
 */
export type ContextShift = (current: readonly number[], generated: readonly number[]) => readonly number[] | undefined;

export interface GenerateOptions {
  /** Most tokens to generate; reaching it ends with finishReason "length". */
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  /** Token ids that end generation (not emitted). */
  readonly stopTokens: readonly number[];
  /** Strings that end generation before their first occurrence in the text (not emitted). */
  readonly stopStrings?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Report each chosen token's log-probability and the `logprobs` most likely alternatives. */
  readonly logprobs?: number | undefined;
  /** Restricts the output (JSON schema, grammar); its end tokens should be the stop tokens. */
  readonly constraint?: TokenConstraint | undefined;
  /** Without it, a full context is a CONTEXT_OVERFLOW error. */
  readonly shift?: ContextShift | undefined;
}

export type FinishReason = "stop" | "length" | "abort";

/** A piece of the output. Concatenating every chunk's text gives the whole text. */
export interface GeneratedChunk {
  /**
   * The token this chunk comes from; absent on the last chunk when it only releases text held back at the end
   * (the start of a stop string that never completed, or an unfinished UTF-8 character).
   */
  readonly token?: number;
  /** Text this token completes: "" while a multi-byte character or a possible stop string is incomplete. */
  readonly text: string;
  readonly logprobs?: TokenLogprobs;
}

export interface GenerateResult {
  /** Every sampled token (the stop token excluded). */
  readonly tokens: readonly number[];
  /** The whole output text (stop string excluded). */
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Tokens of the prompt, of which cachedTokens were already in the KV cache and the rest were evaluated. */
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly prefillMs: number;
  readonly decodeMs: number;
  /** How often a full context was shifted. */
  readonly shifts: number;
}

/**
 * Pre-fills `prompt` (the whole sequence wanted in the cache: what the cache already holds of it is kept) and
 * samples until a stop token, a stop string, the token limit or an abort. Between tokens it yields to the event
 * loop so that streamed text reaches its reader and an abort can arrive.
 */
export async function* generate(seq: TokenSequence, prompt: readonly number[], o: GenerateOptions): AsyncGenerator<GeneratedChunk, GenerateResult> {
  const release = seq.acquire("another generation");
  try {
    const ctx = seq.ctx;
    const vocab = ctx.model.config.vocabSize;
    const state = new GenerationState(ctx.model, prompt, o);
    // a copy: the arena's view would go stale if memory grew while the consumer runs
    const last = new Float32Array(vocab);
    const keep = (l: Float32Array) => last.set(l.subarray(0, vocab));
    let shifts = 0;
    const fit = (current: readonly number[]): readonly number[] => {
      const shorter = o.shift?.(current, state.tokens);
      if (shorter === undefined || shorter.length >= current.length || shorter.length > ctx.contextSize) {
        throw new GemmaError(
          "CONTEXT_OVERFLOW",
          `${current.length} tokens do not fit the context of ${ctx.contextSize}` +
            (o.shift ? " (nothing more can be dropped)" : " (raise the context size, or let the context shift)"),
        );
      }
      shifts++;
      return shorter;
    };

    const t0 = performance.now();
    const first = seq.prefill(prompt.length > ctx.contextSize ? fit(prompt) : prompt, keep);
    const t1 = performance.now();
    while (!state.done) {
      if (o.signal?.aborted) {
        state.abort();
        break;
      }
      const chunk = state.next(last);
      if (chunk) yield chunk;
      if (state.done) break;
      await new Promise((r) => setTimeout(r, 0));
      if (o.signal?.aborted) {
        state.abort();
        break;
      }
      const next = state.tokens[state.tokens.length - 1]!;
      if (seq.tokens.length < ctx.contextSize) seq.evaluate([next], { logits: "last", onLogits: (_, l) => keep(l) });
      else seq.prefill(fit([...seq.tokens, next]), keep);
    }
    const tail = state.flush();
    if (tail) yield tail;
    return {
      tokens: state.tokens,
      text: state.text,
      finishReason: state.finishReason,
      promptTokens: prompt.length,
      cachedTokens: first.cachedTokens,
      prefillMs: t1 - t0,
      decodeMs: performance.now() - t1,
      shifts,
    };
  } finally {
    release();
  }
}

/**
 * llama.cpp's context shift for plain text (ggml-org/llama.cpp:tools/completion/completion.cpp, n_keep and
 * n_discard): keep the first `keep` tokens and drop the older half of the rest. Instead of shifting the cached
 * keys' positions, what remains is re-evaluated, which stays exact with sliding-window layers.
 */
export function dropOldestHalf(keep: number): ContextShift {
  return (current) => {
    const discard = Math.floor((current.length - keep) / 2);
    return discard > 0 ? [...current.slice(0, keep), ...current.slice(keep + discard)] : undefined;
  };
}
