import type { GemmaModel } from "../api/model.js";
import type { FinishReason } from "../engine/generate.js";
import type { TokenLogprobs } from "../engine/logprobs.js";

/** Token counts as OpenAI reports them. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** OpenAI knows stop and length; an aborted generation has no client left to read it. */
export function finishReason(r: FinishReason): "stop" | "length" {
  return r === "length" ? "length" : "stop";
}

const utf8 = new TextEncoder();

interface ChatTokenLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
}

/** One entry of a chat answer's `logprobs.content`: the chosen token and its `top_logprobs`. */
export function chatLogprob(model: GemmaModel, lp: TokenLogprobs): ChatTokenLogprob & { readonly top_logprobs: ChatTokenLogprob[] } {
  return { ...tokenLogprob(model, lp.token, lp.logprob), top_logprobs: lp.top.map((t) => tokenLogprob(model, t.token, t.logprob)) };
}

function tokenLogprob(model: GemmaModel, token: number, logprob: number): ChatTokenLogprob {
  const text = tokenText(model, token);
  return { token: text, logprob, bytes: [...utf8.encode(text)] };
}

/** A token's own text (control tokens by their name, so that an alternative is never an empty string). */
function tokenText(model: GemmaModel, token: number): string {
  return model.detokenize([token], { keepSpecial: true });
}

/** The legacy completions' logprobs object, built token by token. */
export class CompletionLogprobs {
  readonly tokens: string[] = [];
  readonly token_logprobs: number[] = [];
  readonly top_logprobs: Record<string, number>[] = [];
  readonly text_offset: number[] = [];

  /** Adds a token that starts at `offset` characters into the answer; returns the object of that token alone (a streamed chunk's). */
  add(model: GemmaModel, lp: TokenLogprobs, offset: number): CompletionLogprobs {
    const one = new CompletionLogprobs();
    one.tokens.push(tokenText(model, lp.token));
    one.token_logprobs.push(lp.logprob);
    one.top_logprobs.push(Object.fromEntries(lp.top.map((t) => [tokenText(model, t.token), t.logprob])));
    one.text_offset.push(offset);
    this.tokens.push(...one.tokens);
    this.token_logprobs.push(...one.token_logprobs);
    this.top_logprobs.push(...one.top_logprobs);
    this.text_offset.push(...one.text_offset);
    return one;
  }
}
