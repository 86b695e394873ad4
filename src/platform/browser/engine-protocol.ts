import type { ChatSessionOptions } from "../../engine/chat-session.js";
import type { GeneratedChunk } from "../../engine/generate.js";
import type { CompletionOptions, TokenizeOptions } from "../../api/model.js";
import type { ModelConfig } from "../../model/config.js";
import type { ModelInfo } from "../../model/model.js";
import { GemmaError, type ErrorCode } from "../../util/errors.js";
import type { BrowserLoadOptions, BrowserLoadProgress } from "./load-model.js";

/*
 * The messages between a page (engine-client.ts) and the engine worker (engine-host.ts). Every request carries an
 * id the page chose; the worker answers it with progress or chunk events and then one result or one error. A
 * model is named by the id of the request that loaded it, a chat session by the id of the request that opened it.
 * Everything crosses by structured clone, so options hold data only (an AbortSignal stays on the page: aborting
 * is a request of its own).
 */

/** loadModel's options, less what cannot cross (the callback and the signal stay on the page). */
export type RemoteLoadOptions = Omit<BrowserLoadOptions, "onProgress" | "signal" | "workerUrl"> & {
  /** The kernel worker script, resolved against the engine worker's own URL (default: kernel-worker.js next to the library). */
  readonly workerUrl?: string;
};
export type RemoteGenerationOptions = Omit<CompletionOptions, "signal">;
export type RemoteChatOptions = Omit<ChatSessionOptions, "defaults"> & { readonly defaults?: RemoteGenerationOptions };

export type EngineRequest =
  | { readonly type: "load"; readonly id: number; readonly source: string | Blob; readonly options: RemoteLoadOptions }
  | { readonly type: "generate"; readonly id: number; readonly model: number; readonly prompt: string | readonly number[]; readonly options: RemoteGenerationOptions }
  | { readonly type: "chat"; readonly id: number; readonly model: number; readonly options: RemoteChatOptions }
  | { readonly type: "send"; readonly id: number; readonly chat: number; readonly text: string; readonly options: RemoteGenerationOptions }
  | { readonly type: "reset-chat"; readonly id: number; readonly chat: number }
  | { readonly type: "close-chat"; readonly id: number; readonly chat: number }
  | { readonly type: "tokenize"; readonly id: number; readonly model: number; readonly text: string; readonly options: TokenizeOptions }
  | { readonly type: "detokenize"; readonly id: number; readonly model: number; readonly ids: readonly number[]; readonly keepSpecial: boolean }
  | { readonly type: "close-model"; readonly id: number; readonly model: number }
  /** Stops request `target` (a load or a generation) if it still runs; answers nothing. */
  | { readonly type: "abort"; readonly id: number; readonly target: number };

export type EngineEvent =
  | { readonly type: "progress"; readonly id: number; readonly progress: BrowserLoadProgress }
  | { readonly type: "chunk"; readonly id: number; readonly chunk: GeneratedChunk }
  | { readonly type: "result"; readonly id: number; readonly value: unknown }
  | { readonly type: "error"; readonly id: number; readonly error: SentError };

/** What the page learns of a loaded model (ModelInfo less the GGUF metadata object, which has methods). */
export interface RemoteModelDescription {
  readonly info: Omit<ModelInfo, "metadata">;
  readonly config: ModelConfig;
  /** Threads the kernels run on in the worker. */
  readonly threads: number;
}

/** An error as it crosses: a GemmaError keeps its code, an AbortError its name. */
export interface SentError {
  readonly name: string;
  readonly message: string;
  readonly code?: ErrorCode;
}

export function sendableError(e: unknown): SentError {
  if (e instanceof GemmaError) return { name: e.name, message: e.message, code: e.code };
  if (e instanceof Error || e instanceof DOMException) return { name: e.name, message: e.message };
  return { name: "Error", message: String(e) };
}

/** The error again on the page: a GemmaError with its code, an AbortError as a DOMException, anything else an Error. */
export function receivedError(e: SentError): Error {
  if (e.code !== undefined) return new GemmaError(e.code, e.message);
  if (e.name === "AbortError") return new DOMException(e.message, "AbortError");
  return new Error(e.message);
}
