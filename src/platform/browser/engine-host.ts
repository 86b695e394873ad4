import type { ChatSession } from "../../engine/chat-session.js";
import type { GenerationStream } from "../../engine/generation-stream.js";
import type { GemmaModel } from "../../api/model.js";
import { GemmaError } from "../../util/errors.js";
import { sendableError, type EngineEvent, type EngineRequest, type RemoteModelDescription } from "./engine-protocol.js";
import { closeModel, loadModel } from "./load-model.js";

/** The side of a worker that the engine talks through (a dedicated worker's global scope). */
export interface EngineScope {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}

/**
 * Serves the engine in a Web Worker: loads models (with loadModel, so the kernel worker pool is started from this
 * worker, its coordinator blocking in Atomics.wait instead of spinning) and runs generations and chat sessions
 * for the page, which talks to it through EngineWorker (engine-client.ts). The bundle's engine-worker.js calls
 * it; a worker script of one's own may too.
 */
export function runEngineWorker(scope: EngineScope = self as unknown as EngineScope): void {
  const models = new Map<number, GemmaModel>();
  /** Open chat sessions, or why one could not be opened (told at its first send). */
  const chats = new Map<number, { readonly model: number; readonly session: ChatSession } | { readonly model: number; readonly failure: unknown }>();
  /** What stops each running load or generation. */
  const running = new Map<number, { abort(): void }>();
  const post = (event: EngineEvent) => scope.postMessage(event);

  const modelOf = (id: number): GemmaModel => {
    const model = models.get(id);
    if (!model) throw new GemmaError("BAD_PROMPT", `no model ${id} is loaded in the engine worker (it was closed, or its load failed)`);
    return model;
  };
  const chatOf = (id: number): ChatSession => {
    const chat = chats.get(id);
    if (!chat) throw new GemmaError("BAD_PROMPT", `no chat session ${id} is open in the engine worker (it was closed)`);
    if ("failure" in chat) throw chat.failure;
    return chat.session;
  };

  /** Streams a generation's chunks, then its result. */
  async function stream<R extends { readonly text: string }>(id: number, generation: GenerationStream<R>): Promise<R> {
    running.set(id, generation);
    for await (const chunk of generation) post({ type: "chunk", id, chunk });
    return generation.finished();
  }

  async function answer(request: EngineRequest): Promise<unknown> {
    switch (request.type) {
      case "load": {
        const controller = new AbortController();
        running.set(request.id, controller);
        const { workerUrl, ...options } = request.options;
        const model = await loadModel(request.source, {
          ...options,
          ...(workerUrl === undefined ? {} : { workerUrl }),
          signal: controller.signal,
          onProgress: (progress) => post({ type: "progress", id: request.id, progress }),
        });
        models.set(request.id, model);
        // the GGUF metadata object has methods (it cannot be cloned): it stays here
        const { metadata: _metadata, ...info } = model.info;
        const description: RemoteModelDescription = { info, config: model.config, threads: model.options.threads ?? 1 };
        return description;
      }
      case "generate":
        return stream(request.id, modelOf(request.model).generate(request.prompt, request.options));
      case "chat":
        try {
          chats.set(request.id, { model: request.model, session: modelOf(request.model).chat(request.options) });
        } catch (failure) {
          chats.set(request.id, { model: request.model, failure });
          throw failure;
        }
        return undefined;
      case "send":
        return stream(request.id, chatOf(request.chat).send(request.text, request.options));
      case "reset-chat":
        chatOf(request.chat).reset();
        return undefined;
      case "close-chat":
        chats.delete(request.chat);
        return undefined;
      case "tokenize":
        return modelOf(request.model).tokenize(request.text, request.options);
      case "detokenize":
        return modelOf(request.model).detokenize(request.ids, { keepSpecial: request.keepSpecial });
      case "close-model": {
        const model = models.get(request.model);
        models.delete(request.model);
        for (const [id, chat] of chats) if (chat.model === request.model) chats.delete(id);
        if (model) await closeModel(model);
        return undefined;
      }
      case "abort":
        running.get(request.target)?.abort();
        return undefined;
    }
  }

  scope.addEventListener("message", (event: MessageEvent<EngineRequest>) => {
    const request = event.data;
    void answer(request).then(
      (value) => {
        if (request.type !== "abort") post({ type: "result", id: request.id, value });
      },
      (e: unknown) => post({ type: "error", id: request.id, error: sendableError(e) }),
    ).finally(() => running.delete(request.id));
  });
}
