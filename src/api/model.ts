import { ChatSession, type ChatSessionOptions } from "../engine/chat-session.js";
import { classify, type ShieldInput, type ShieldResult } from "../engine/classify.js";
import { chatFormat, type ChatTemplateChoice } from "../engine/chat-template.js";
import { Context } from "../engine/context.js";
import { assertEmbeddingModel, Embedder, embeddingIds, type EmbedOptions } from "../engine/embed.js";
import { isKvType, kvSlotBytes, type KvType } from "../engine/kv-cache.js";
import { dropOldestHalf, generate, type GenerateResult } from "../engine/generate.js";
import { type GenerationOptions, resolveGeneration } from "../engine/generation-options.js";
import { fimPromptIds, fimStopTokens, fimTokens } from "../engine/fim.js";
import { GenerationStream } from "../engine/generation-stream.js";
import type { ChatMessage } from "../engine/prompt.js";
import type { ToolChatMessage } from "../engine/tool-prompt.js";
import { TokenSequence } from "../engine/sequence.js";
import type { GgufFile } from "../formats/gguf/index.js";
import { loadGgufModel, type LoadProgress } from "../model/load-gguf.js";
import type { ModelConfig } from "../model/config.js";
import type { Model, ModelInfo } from "../model/model.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import { toolChatStream, type ToolChatOptions, type ToolChatResult } from "./tool-chat.js";

export type { KvType } from "../engine/kv-cache.js";

/** How a model is run; fixed when it is loaded. */
export interface ModelOptions {
  /** Positions its context holds (default: the model's training length, at most 4096). */
  readonly contextSize?: number;
  /**
   * Tokens per forward step while pre-filling (default 64). With sliding-window layers it is also the longest
   * rollback the cache allows before a new prompt must be evaluated from the start (see swaFull).
   */
  readonly batchSize?: number;
  /** Full-length caches on sliding-window layers: more memory, and a prompt can always reuse its cached prefix. */
  readonly swaFull?: boolean;
  /**
   * Threads for the kernels. On Node (gemma-ts/node loadModel) a worker pool of that many threads (default: every
   * core); loadModelFromGguf accepts and checks it, but runs the kernels on the calling thread.
   */
  readonly threads?: number;
  /**
   * KV cache element type (default "f32"): "f16" halves its memory, "q8_0" quarters it (blocks of 32 with an f16
   * scale, as llama.cpp's --cache-type-k/v q8_0; models whose head size is a multiple of 32).
   */
  readonly kvType?: KvType;
}

export interface TokenizeOptions {
  /** Turn special-token strings (`<start_of_turn>`, `<bos>` …) into their ids (default false: plain text). */
  readonly parseSpecial?: boolean;
  /** Put the BOS id first (default false). */
  readonly addBos?: boolean;
}

export interface CompletionOptions extends GenerationOptions {
  /** For a text prompt: parse special-token strings in it (default false). A BOS goes first when the model wants one. */
  readonly parseSpecial?: boolean;
}

/** Throws on options that cannot be honoured (checked before anything is loaded). */
export function checkModelOptions(o: ModelOptions): void {
  if (o.threads !== undefined && !(Number.isInteger(o.threads) && o.threads >= 1)) {
    throw new GemmaError("BAD_PROMPT", `threads must be an integer >= 1, got ${o.threads}`);
  }
  if (o.kvType !== undefined && !isKvType(o.kvType)) {
    throw new GemmaError("UNSUPPORTED_TENSOR_TYPE", `KV cache type ${String(o.kvType)} is not one of f32, f16, q8_0`);
  }
}

/**
 * A loaded model, ready to tokenize, generate text and hold chat sessions. It evaluates one sequence at a time:
 * generate() and every chat session share its KV cache (created on first use), and each reuses the prefix it
 * has in common with what the cache holds.
 */
export class GemmaModel {
  /** The engine's model: configuration, weights, tokenizer. */
  readonly model: Model;
  readonly options: ModelOptions;
  private seq: TokenSequence | undefined;
  private embedder: Embedder | undefined;

  constructor(model: Model, options: ModelOptions = {}) {
    checkModelOptions(options);
    // A q8_0 cache the model's head size cannot hold fails here, not at the first prompt.
    if (options.kvType !== undefined) kvSlotBytes(model.config, options.kvType);
    this.model = model;
    this.options = options;
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  get tokenizer(): Tokenizer {
    return this.model.tokenizer;
  }

  /** The shared context and the ids in its cache. */
  get sequence(): TokenSequence {
    this.seq ??= new TokenSequence(
      new Context(this.model, {
        contextSize: this.options.contextSize,
        batchSize: this.options.batchSize,
        swaFull: this.options.swaFull,
        kvType: this.options.kvType,
      }),
    );
    return this.seq;
  }

  tokenize(text: string, opts: TokenizeOptions = {}): number[] {
    return this.model.tokenizer.encode(text, opts);
  }

  /** Text of token ids; control tokens decode to "" unless keepSpecial. */
  detokenize(ids: ArrayLike<number>, opts: { readonly keepSpecial?: boolean } = {}): string {
    return this.model.tokenizer.decode(ids, opts);
  }

  /**
   * Continues a prompt (text, or token ids used as they are). The stream yields the text as it comes; its
   * result has the totals. With contextOverflow "shift", a full context drops the older half after the first
   * token and goes on.
   */
  generate(prompt: string | readonly number[], opts: CompletionOptions = {}): GenerationStream<GenerateResult> {
    const tok = this.model.tokenizer;
    const ids = typeof prompt === "string" ? tok.encode(prompt, { parseSpecial: opts.parseSpecial ?? false, addBos: tok.addBos }) : [...prompt];
    const seq = this.sequence;
    const gen = resolveGeneration(this.model, seq.ctx.contextSize, opts);
    const shift = opts.contextOverflow === "shift" ? dropOldestHalf(ids[0] === tok.bos ? 1 : 0) : undefined;
    return new GenerationStream((signal) => generate(seq, ids, { ...gen, signal, shift }), opts.signal);
  }

  /**
   * CodeGemma fill-in-the-middle: the code between `prefix` and `suffix`. The marker ids come from the GGUF
   * `tokenizer.ggml.fim_*` keys where present, else from the vocabulary; the infill ends at `<|file_separator|>`,
   * EOS or another FIM marker (none of them in the text). A model without FIM markers is a TOKENIZER_BAD_VOCAB error.
   */
  infill(prefix: string, suffix: string, opts: GenerationOptions = {}): GenerationStream<GenerateResult> {
    const tok = this.model.tokenizer;
    const markers = fimTokens(tok, this.model.info.metadata);
    const stopTokens = [...fimStopTokens(tok, markers), ...(opts.stopTokens ?? [])];
    return this.generate(fimPromptIds(tok, markers, prefix, suffix), { ...opts, stopTokens });
  }

  /**
   * ShieldGemma scoring: the probability that `input.prompt` (or, with `input.response`, the response to it)
   * violates `input.policy`, from the Yes/No logits after the model card's prompt (engine/classify.ts).
   */
  classify(input: ShieldInput): ShieldResult {
    const seq = this.sequence;
    const release = seq.acquire("classify");
    try {
      return classify(seq, input);
    } finally {
      release();
    }
  }

  /** Whether embed() works: the model pools its token vectors (EmbeddingGemma; GGUF `<arch>.pooling_type`). */
  get isEmbeddingModel(): boolean {
    return this.model.config.pooling !== "none";
  }

  /**
   * The ids embed() runs for a text: BOS when the tokenizer adds one, EOS when the file says
   * (`tokenizer.ggml.add_eos_token`; a Hugging Face folder's tokenizer files), as llama.cpp tokenizes embedding
   * inputs. Special-token strings stay text. A sentence-transformers folder's text is lower-cased when its
   * sentence_bert_config.json says do_lower_case, and cut to max_seq_length tokens (BOS and EOS kept), as
   * sentence-transformers does; a GGUF's is never cut (a longer one is a CONTEXT_OVERFLOW error, as in llama.cpp).
   */
  embeddingTokens(text: string): number[] {
    const info = this.model.info;
    const addEos = info.addEos ?? info.metadata?.optionalBool("tokenizer.ggml.add_eos_token") ?? false;
    return embeddingIds(this.model.tokenizer, text, { addEos, maxTokens: info.embedding?.maxTokens, lowercase: info.embedding?.lowercase });
  }

  /**
   * Text embeddings from an embedding model (EmbeddingGemma): a text (tokenized by embeddingTokens) or token ids
   * (used as they are) give one vector, an array of them one vector each. Pooled over the input, projected by the
   * model's dense layers and of unit length unless `normalize: false` (engine/embed.ts). The default follows the
   * model: a sentence-transformers folder normalizes when modules.json lists a Normalize module; a GGUF always, as
   * llama.cpp's embedding tool (--embd-normalize 2). Any other model is a
   * MODEL_UNSUPPORTED_ARCH error; an input longer than the context (contextSize) a CONTEXT_OVERFLOW one.
   */
  embed(input: string | readonly number[], opts?: EmbedOptions): Float32Array;
  embed(inputs: readonly (string | readonly number[])[], opts?: EmbedOptions): Float32Array[];
  embed(input: string | readonly number[] | readonly (string | readonly number[])[], opts: EmbedOptions = {}): Float32Array | Float32Array[] {
    assertEmbeddingModel(this.model);
    this.embedder ??= new Embedder(this.model, { contextSize: this.options.contextSize });
    const withNormalize = { ...opts, normalize: opts.normalize ?? this.model.info.embedding?.normalize ?? true };
    const one = (x: string | readonly number[]): Float32Array =>
      this.embedder!.embed(typeof x === "string" ? this.embeddingTokens(x) : x, withNormalize);
    if (typeof input === "string") return one(input);
    if (input.length === 0) throw new GemmaError("BAD_PROMPT", "nothing to embed: the input is an empty array");
    if (input.every((x) => typeof x === "number")) return one(input as readonly number[]);
    if (input.some((x) => typeof x === "number")) {
      throw new GemmaError("BAD_PROMPT", "embed() takes token ids or a list of inputs, not a mix of ids and texts");
    }
    return (input as readonly (string | readonly number[])[]).map(one);
  }

  /** A new conversation (see ChatSession). */
  chat(opts: ChatSessionOptions = {}): ChatSession {
    return new ChatSession(this.model, this.sequence, opts);
  }

  /**
   * One answer to a conversation that may call tools: with `tools` (and toolChoice other than "none") the answer
   * is generated as tool-call JSON under a schema made from the tools, and the result holds the parsed
   * `toolCalls` or the reply's `content` (api/tool-chat.ts; the prompt format is in engine/tool-prompt.ts).
   * Conversations may hold earlier calls (`toolCalls`) and their results (`role: "tool"`). A bad tool definition,
   * choice or tool turn is a ToolRequestError naming the field.
   */
  toolChat(messages: readonly ToolChatMessage[], opts: ToolChatOptions = {}): GenerationStream<ToolChatResult> {
    return toolChatStream(this, messages, opts);
  }

  /** Token ids of a conversation in a chat format (default "auto": the model's template when it has one). */
  formatChat(messages: readonly ChatMessage[], template: ChatTemplateChoice = "auto", addGenerationPrompt = true): number[] {
    return chatFormat(this.model.tokenizer, this.model.info.chatTemplate, template).tokens(messages, addGenerationPrompt);
  }
}

export interface GgufLoadOptions extends ModelOptions {
  /** Called as the weights are read. */
  readonly onProgress?: (p: LoadProgress) => void;
}

/** Loads a model from an open GGUF file (from any ByteSource: memory, fetch, a File); the file stays open. */
export async function loadModelFromGguf(file: GgufFile, opts: GgufLoadOptions = {}): Promise<GemmaModel> {
  checkModelOptions(opts);
  return new GemmaModel(await loadGgufModel(file, { onProgress: opts.onProgress }), opts);
}
