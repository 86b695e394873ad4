import type { ChatTurnResult } from "../../engine/chat-session.js";
import type { GeneratedChunk, GenerateResult } from "../../engine/generate.js";
import type { TokenizeOptions } from "../../api/model.js";
import type { ModelConfig } from "../../model/config.js";
import { GemmaError } from "../../util/errors.js";
import {
  receivedError,
  type EngineEvent,
  type EngineRequest,
  type RemoteChatOptions,
  type RemoteGenerationOptions,
  type RemoteLoadOptions,
  type RemoteModelDescription,
} from "./engine-protocol.js";
import type { BrowserLoadProgress } from "./load-model.js";

/** What a request's answers go to. */
interface Listener {
  progress?(p: BrowserLoadProgress): void;
  chunk?(c: GeneratedChunk): void;
  result(value: unknown): void;
  error(e: Error): void;
}

/** Request without its id (the client numbers them). */
type Unnumbered<T> = T extends unknown ? Omit<T, "id"> : never;

export interface EngineWorkerOptions {
  /** The engine worker script (default: engine-worker.js next to this module). */
  readonly workerUrl?: string | URL;
}

export interface RemoteLoadCallOptions extends RemoteLoadOptions {
  readonly onProgress?: (p: BrowserLoadProgress) => void;
  readonly signal?: AbortSignal;
}

export interface RemoteGenerateOptions extends RemoteGenerationOptions {
  /** Aborting it ends the generation at the next token, as abort() does. */
  readonly signal?: AbortSignal;
}

/**
 * Starts the engine in a Web Worker, so that a page's main thread only renders: loading (download, cache, weights)
 * and every token are computed in the worker, which starts the kernel worker pool itself under cross-origin
 * isolation (and computes alone otherwise). The page talks to it through the returned EngineWorker.
 *
 * @example
 * const engine = createEngineWorker();
 * const model = await engine.load("https://example.org/gemma-3-270m-it-Q4_K_M.gguf", { onProgress: show });
 * for await (const chunk of model.chat().send("Hello!")) append(chunk.text);
 */
export function createEngineWorker(opts: EngineWorkerOptions = {}): EngineWorker {
  const url = opts.workerUrl ?? new URL("./engine-worker.js", import.meta.url);
  return new EngineWorker(new Worker(url, { type: "module", name: "gemma-engine" }));
}

/** A page's handle on an engine worker: loads models into it. */
export class EngineWorker {
  private readonly worker: Worker;
  private readonly listeners = new Map<number, Listener>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(worker: Worker) {
    this.worker = worker;
    worker.addEventListener("message", (event: MessageEvent<EngineEvent>) => this.receive(event.data));
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.fail(new GemmaError("MODEL_BAD_CONFIG", `the engine worker failed: ${event.message || "its script could not be loaded"}`));
    });
    worker.addEventListener("messageerror", () => this.fail(new GemmaError("MODEL_BAD_CONFIG", "a message from the engine worker could not be read")));
  }

  /**
   * Loads a GGUF model in the worker from a URL (relative to the page; read by range requests and cached for the
   * next visit, resuming an interrupted download) or a File/Blob, with loadModel's options.
   */
  load(urlOrFile: string | Blob, opts: RemoteLoadCallOptions = {}): Promise<RemoteModel> {
    const { onProgress, signal, ...options } = opts;
    const source = typeof urlOrFile === "string" ? new URL(urlOrFile, globalThis.location?.href).href : urlOrFile;
    return new Promise<RemoteModel>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const id = this.request({ type: "load", source, options }, {
        ...(onProgress ? { progress: onProgress } : {}),
        result: (value) => resolve(new RemoteModel(this, id, value as RemoteModelDescription)),
        error: reject,
      });
      signal?.addEventListener("abort", () => this.abort(id), { once: true });
    });
  }

  /** Stops the worker (and its kernel workers): every model loaded in it is gone, pending calls fail. */
  terminate(): void {
    this.worker.terminate();
    this.fail(new GemmaError("MODEL_BAD_CONFIG", "the engine worker was terminated"));
  }

  /** Sends a request; returns its id. A request that cannot be sent fails its listener at once. */
  request(message: Unnumbered<EngineRequest>, listener: Listener): number {
    const id = this.nextId++;
    if (this.failure) {
      listener.error(this.failure);
      return id;
    }
    this.listeners.set(id, listener);
    try {
      this.worker.postMessage({ ...message, id });
    } catch (e) {
      this.listeners.delete(id);
      listener.error(new GemmaError("BAD_PROMPT", `the ${message.type} request cannot be sent to the engine worker (its options must be plain data): ${String(e)}`));
    }
    return id;
  }

  /** A request whose only answer is its result. */
  call<T>(message: Unnumbered<EngineRequest>): Promise<T> {
    return new Promise<T>((resolve, reject) => void this.request(message, { result: (v) => resolve(v as T), error: reject }));
  }

  /** Stops request `target` (a load or a generation) if it still runs. */
  abort(target: number): void {
    if (this.listeners.has(target)) this.request({ type: "abort", target }, { result: () => undefined, error: () => undefined });
  }

  private receive(event: EngineEvent): void {
    const listener = this.listeners.get(event.id);
    if (!listener) return;
    switch (event.type) {
      case "progress":
        listener.progress?.(event.progress);
        return;
      case "chunk":
        listener.chunk?.(event.chunk);
        return;
      case "result":
        this.listeners.delete(event.id);
        listener.result(event.value);
        return;
      case "error":
        this.listeners.delete(event.id);
        listener.error(receivedError(event.error));
        return;
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    for (const l of listeners) l.error(error);
  }
}

/** A model loaded in an engine worker: GemmaModel's generation and chat, each call a message to the worker. */
export class RemoteModel {
  readonly info: RemoteModelDescription["info"];
  readonly config: ModelConfig;
  /** Threads its kernels run on (in the worker). */
  readonly threads: number;
  private readonly engine: EngineWorker;
  private readonly id: number;

  constructor(engine: EngineWorker, id: number, description: RemoteModelDescription) {
    this.engine = engine;
    this.id = id;
    this.info = description.info;
    this.config = description.config;
    this.threads = description.threads;
  }

  /** GemmaModel.generate in the worker. */
  generate(prompt: string | readonly number[], opts: RemoteGenerateOptions = {}): RemoteGeneration<GenerateResult> {
    const { signal, ...options } = opts;
    return new RemoteGeneration(this.engine, { type: "generate", model: this.id, prompt, options }, signal);
  }

  /** A new conversation in the worker (GemmaModel.chat). */
  chat(opts: RemoteChatOptions = {}): RemoteChat {
    const id = this.engine.request({ type: "chat", model: this.id, options: opts }, { result: () => undefined, error: () => undefined });
    return new RemoteChat(this.engine, id);
  }

  tokenize(text: string, opts: TokenizeOptions = {}): Promise<number[]> {
    return this.engine.call({ type: "tokenize", model: this.id, text, options: opts });
  }

  detokenize(ids: readonly number[], opts: { readonly keepSpecial?: boolean } = {}): Promise<string> {
    return this.engine.call({ type: "detokenize", model: this.id, ids, keepSpecial: opts.keepSpecial ?? false });
  }

  /** Frees the model in the worker and stops its kernel workers. */
  close(): Promise<void> {
    return this.engine.call({ type: "close-model", model: this.id });
  }
}

/** A conversation held in the engine worker (ChatSession there). */
export class RemoteChat {
  private readonly engine: EngineWorker;
  private readonly id: number;

  constructor(engine: EngineWorker, id: number) {
    this.engine = engine;
    this.id = id;
  }

  /** ChatSession.send in the worker: the answer streams back; the turn joins the conversation once it ends. */
  send(content: string, opts: RemoteGenerateOptions = {}): RemoteGeneration<ChatTurnResult> {
    const { signal, ...options } = opts;
    return new RemoteGeneration(this.engine, { type: "send", chat: this.id, text: content, options }, signal);
  }

  /** Forgets the turns (the system prompt stays). */
  reset(): Promise<void> {
    return this.engine.call({ type: "reset-chat", chat: this.id });
  }

  close(): Promise<void> {
    return this.engine.call({ type: "close-chat", chat: this.id });
  }
}

/**
 * A generation running in the engine worker, read as GenerationStream is: `for await (const chunk of g)` and/or
 * `await g.finished()`. Nothing is sent until one of the two starts it; leaving the loop early or abort() stops
 * it in the worker at the next token (finishReason "abort").
 */
export class RemoteGeneration<R extends { readonly text: string }> implements AsyncIterable<GeneratedChunk> {
  private readonly engine: EngineWorker;
  private readonly message: Unnumbered<EngineRequest>;
  private readonly chunks: GeneratedChunk[] = [];
  private read = 0;
  private wake: (() => void) | undefined;
  private outcome: { readonly value: R } | { readonly error: Error } | undefined;
  private result: Promise<R> | undefined;
  private id: number | undefined;
  private aborted = false;

  constructor(engine: EngineWorker, message: Unnumbered<EngineRequest>, signal?: AbortSignal) {
    this.engine = engine;
    this.message = message;
    if (signal?.aborted) this.aborted = true;
    else signal?.addEventListener("abort", () => this.abort(), { once: true });
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<GeneratedChunk, void> {
    if (this.result) throw new GemmaError("BAD_PROMPT", "a generation stream can be read only once");
    this.start();
    try {
      for (;;) {
        while (this.read < this.chunks.length) yield this.chunks[this.read++]!;
        if (this.outcome) {
          if ("error" in this.outcome) throw this.outcome.error;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // left early: stop the worker's generation and wait for it to end, as GenerationStream does
      if (!this.outcome) {
        this.abort();
        await this.result!.catch(() => undefined);
      }
    }
  }

  /** Stops the generation at the next token. */
  abort(): void {
    this.aborted = true;
    if (this.id !== undefined && !this.outcome) this.engine.abort(this.id);
  }

  /** Runs the generation to its end (reading whatever was not read) and gives its result. */
  finished(): Promise<R> {
    return this.result ?? this.start();
  }

  /** The whole text, once the generation ends. */
  async text(): Promise<string> {
    return (await this.finished()).text;
  }

  private start(): Promise<R> {
    this.result = new Promise<R>((resolve, reject) => {
      const settle = (outcome: { readonly value: R } | { readonly error: Error }) => {
        this.outcome = outcome;
        if ("error" in outcome) reject(outcome.error);
        else resolve(outcome.value);
        this.wake?.();
      };
      this.id = this.engine.request(this.message, {
        chunk: (c) => {
          this.chunks.push(c);
          this.wake?.();
        },
        result: (value) => settle({ value: value as R }),
        error: (error) => settle({ error }),
      });
    });
    // a result nobody awaits must not become an unhandled rejection: the error also reaches the reader
    this.result.catch(() => undefined);
    if (this.aborted) this.engine.abort(this.id!);
    return this.result;
  }
}
