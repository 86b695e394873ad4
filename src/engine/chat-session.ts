import type { Model } from "../model/model.js";
import { GemmaError } from "../util/errors.js";
import { chatFormat, type ChatFormat, type ChatTemplateChoice } from "./chat-template.js";
import { generate, type GeneratedChunk, type GenerateResult } from "./generate.js";
import { type GenerationOptions, resolveGeneration } from "./generation-options.js";
import { GenerationStream } from "./generation-stream.js";
import type { ChatMessage } from "./prompt.js";
import type { TokenSequence } from "./sequence.js";

export interface ChatSessionOptions {
  /** System prompt; Gemma has no system role, so it is folded into the first user turn. */
  readonly system?: string | undefined;
  /** Earlier conversation to continue (a leading system message sets the system prompt). */
  readonly messages?: readonly ChatMessage[] | undefined;
  /** Chat format (see ChatTemplateChoice; default "auto": the model's template when it has one). */
  readonly template?: ChatTemplateChoice | undefined;
  /** Defaults for every send(); its own options override them field by field. */
  readonly defaults?: GenerationOptions | undefined;
}

export interface ChatTurnResult extends GenerateResult {
  /** The answer as it was added to the conversation. */
  readonly message: ChatMessage;
  /** Messages (oldest first, the system prompt never) no longer sent to the model because the context was full. */
  readonly droppedMessages: number;
}

/**
 * A conversation with a model that keeps its KV cache between turns: each turn formats the whole conversation,
 * and only the tokens after the part the cache already holds are evaluated (normally the end of the last answer
 * and the new user turn). Sessions and plain generations may share one TokenSequence; each then reuses whatever
 * prefix is in common with what the cache holds.
 */
export class ChatSession {
  readonly format: ChatFormat;
  private readonly model: Model;
  private readonly seq: TokenSequence;
  private readonly defaults: GenerationOptions;
  private systemPrompt: string | undefined;
  private turns: ChatMessage[] = [];
  /** Index of the first turn still sent to the model (earlier exchanges were dropped by a context shift). */
  private firstTurn = 0;
  private busy = false;

  constructor(model: Model, seq: TokenSequence, opts: ChatSessionOptions = {}) {
    this.model = model;
    this.seq = seq;
    this.format = chatFormat(model.tokenizer, model.info.chatTemplate, opts.template ?? "auto");
    this.defaults = opts.defaults ?? {};
    this.systemPrompt = opts.system;
    if (opts.messages) this.setMessages(opts.messages);
  }

  /** The conversation: the system prompt first when there is one, then the turns. */
  get messages(): readonly ChatMessage[] {
    return this.systemPrompt === undefined ? [...this.turns] : [{ role: "system", content: this.systemPrompt }, ...this.turns];
  }

  get system(): string | undefined {
    return this.systemPrompt;
  }

  /** Sets (or with undefined removes) the system prompt; the conversation goes on under it. */
  setSystem(text: string | undefined): void {
    this.checkIdle();
    this.systemPrompt = text;
  }

  /** Replaces the conversation (a leading system message replaces the system prompt). */
  setMessages(messages: readonly ChatMessage[]): void {
    this.checkIdle();
    const [head, ...rest] = messages;
    if (head?.role === "system") {
      this.systemPrompt = head.content;
      this.turns = [...rest];
    } else this.turns = [...messages];
    if (this.turns.some((m) => m.role === "system")) throw new GemmaError("BAD_PROMPT", "a system message must come first");
    this.firstTurn = 0;
  }

  /** Forgets the turns (the system prompt stays). The cache keeps what is still useful. */
  reset(): void {
    this.setMessages([]);
  }

  /** Token ids the model would see for the conversation so far plus a new user message. */
  promptTokens(userMessage: string): number[] {
    return this.format.tokens(this.window(this.firstTurn, { role: "user", content: userMessage }));
  }

  /**
   * Adds a user message and streams the answer, which joins the conversation when it ends (also when aborted;
   * on an error the user message is taken back).
   */
  send(content: string, opts: GenerationOptions = {}): GenerationStream<ChatTurnResult> {
    const o: GenerationOptions = { ...this.defaults, ...opts };
    return new GenerationStream((signal) => this.turn(content, { ...o, signal }), o.signal);
  }

  private async *turn(content: string, o: GenerationOptions): AsyncGenerator<GeneratedChunk, ChatTurnResult> {
    this.checkIdle();
    this.busy = true;
    const user: ChatMessage = { role: "user", content };
    const firstBefore = this.firstTurn;
    try {
      const gen = resolveGeneration(this.model, this.seq.ctx.contextSize, o);
      const shift = o.contextOverflow === "shift" ? (_: readonly number[], generated: readonly number[]) => this.shift(user, generated) : undefined;
      const prompt = this.format.tokens(this.window(this.firstTurn, user));
      const r: GenerateResult = yield* generate(this.seq, prompt, { ...gen, shift });
      const message: ChatMessage = { role: "assistant", content: r.text };
      this.turns.push(user, message);
      return { ...r, message, droppedMessages: this.firstTurn - firstBefore };
    } catch (e) {
      this.firstTurn = firstBefore;
      throw e;
    } finally {
      this.busy = false;
    }
  }

  /** System prompt, turns from `first` on, then `user`. */
  private window(first: number, user: ChatMessage): ChatMessage[] {
    const system: ChatMessage[] = this.systemPrompt === undefined ? [] : [{ role: "system", content: this.systemPrompt }];
    return [...system, ...this.turns.slice(first), user];
  }

  /**
   * Drops the oldest exchanges (a user turn and its answer), never the system prompt nor the current turn, until
   * the conversation plus the answer so far takes at most half the context, or nothing more can go. The answer
   * so far continues as the ids already generated.
   */
  private shift(user: ChatMessage, generated: readonly number[]): readonly number[] | undefined {
    const limit = this.seq.ctx.contextSize;
    let best: number[] | undefined;
    for (let first = this.firstTurn + 2; first <= this.turns.length; first += 2) {
      const ids = [...this.format.tokens(this.window(first, user)), ...generated];
      if (ids.length > limit) continue;
      best = ids;
      this.firstTurn = first;
      if (ids.length <= limit / 2) break;
    }
    return best;
  }

  private checkIdle(): void {
    if (this.busy) throw new GemmaError("BAD_PROMPT", "the chat session is answering; wait for the answer (or abort it) first");
  }
}
