import { BatchedModel } from "../api/batched-model.js";
import type { GemmaModel } from "../api/model.js";
import { ApiError } from "./api-error.js";
import { embeddingsResponse } from "./embeddings.js";
import { runGeneration, type GenerationContext } from "./generation-handler.js";
import { ServerMetrics } from "./metrics.js";
import { parseChatRequest, parseCompletionRequest } from "./openai-request.js";
import { isPagePath, pageResponse } from "./page/routes.js";
import { RequestQueue } from "./request-queue.js";

export interface ServerOptions {
  readonly model: GemmaModel;
  /** The id /v1/models lists and the `model` field must name (or leave out). */
  readonly modelId: string;
  /** When set, every /v1/ route needs `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string | undefined;
  /** Requests that may wait while every slot is busy (default 16); one more is answered 429. */
  readonly queueSize?: number | undefined;
  /**
   * Generations that run at once, decoded together in one batch (default 4): each has its own KV cache of the
   * model's context size, so memory grows with it, while a step over 4 rows costs little more than over 1.
   */
  readonly parallel?: number | undefined;
  /** Origin allowed by CORS ("*" for any); CORS headers are off when absent. */
  readonly corsOrigin?: string | undefined;
  /** Largest request body in bytes (default 4 MiB); a larger one is answered 413. */
  readonly maxBodyBytes?: number | undefined;
}

/** The OpenAI-compatible server as a web-standard handler: any runtime that speaks Request/Response can host it. */
export interface ServerApp {
  handle(request: Request): Promise<Response>;
}

const DEFAULT_QUEUE = 16;
export const DEFAULT_PARALLEL = 4;
const DEFAULT_MAX_BODY = 4 * 1024 * 1024;
const ROUTES = ["/v1/chat/completions", "/v1/completions", "/v1/models", "/v1/embeddings", "/health", "/metrics"];

export function createApp(o: ServerOptions): ServerApp {
  const batch = new BatchedModel(o.model, o.parallel ?? DEFAULT_PARALLEL);
  const queue = new RequestQueue(o.queueSize ?? DEFAULT_QUEUE, batch.sequences);
  const metrics = new ServerMetrics();
  const ctx: GenerationContext = { model: o.model, batch, modelId: o.modelId, queue, metrics };
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const route = async (request: Request, path: string, arrived: number): Promise<Response> => {
    const method = request.method;
    if (method === "OPTIONS" && o.corsOrigin !== undefined) return new Response(null, { status: 204, headers: preflightHeaders() });
    if (isPagePath(path)) {
      if (method !== "GET") throw new ApiError(405, `${path} takes GET, not ${method}`, { code: "method_not_allowed" });
      return pageResponse(path, o.apiKey !== undefined);
    }
    if (!ROUTES.includes(path)) throw new ApiError(404, `no route ${path}`, { code: "not_found" });
    const post = path === "/v1/chat/completions" || path === "/v1/completions" || path === "/v1/embeddings";
    if (method !== (post ? "POST" : "GET")) throw new ApiError(405, `${path} takes ${post ? "POST" : "GET"}, not ${method}`, { code: "method_not_allowed" });
    if (path.startsWith("/v1/") && o.apiKey !== undefined) checkKey(request, o.apiKey);
    switch (path) {
      case "/health":
        return Response.json({ status: "ok" });
      case "/metrics":
        return new Response(metrics.render(queue.depth, batch.stats, batch.sequences), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
      case "/v1/models":
        return Response.json({ object: "list", data: [{ id: o.modelId, object: "model", created: 0, owned_by: "gemma-ts" }] });
      case "/v1/embeddings":
        return embeddingsResponse(await readJson(request, maxBody), o.model, o.modelId);
      case "/v1/chat/completions":
        return runGeneration(ctx, "chat", parseChatRequest(await readJson(request, maxBody), o.model, o.modelId, ctx.batch.contextSize), request.signal, arrived);
      default:
        return runGeneration(ctx, "completion", parseCompletionRequest(await readJson(request, maxBody), o.model, o.modelId, ctx.batch.contextSize), request.signal, arrived);
    }
  };

  const preflightHeaders = (): Record<string, string> => ({
    ...corsHeaders(o.corsOrigin),
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "authorization, content-type",
    "access-control-max-age": "600",
  });

  return {
    async handle(request) {
      const arrived = performance.now();
      const path = new URL(request.url).pathname;
      let response: Response;
      try {
        response = await route(request, path, arrived);
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
        response = Response.json(err.body(), { status: err.status });
      }
      for (const [k, v] of Object.entries(corsHeaders(o.corsOrigin))) response.headers.set(k, v);
      metrics.countRequest(ROUTES.includes(path) ? path : "other", response.status);
      return response;
    },
  };
}

function corsHeaders(origin: string | undefined): Record<string, string> {
  if (origin === undefined) return {};
  return origin === "*" ? { "access-control-allow-origin": "*" } : { "access-control-allow-origin": origin, vary: "Origin" };
}

function checkKey(request: Request, key: string): void {
  const given = /^Bearer\s+(.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1]?.trim();
  if (given === undefined) throw new ApiError(401, "missing API key: send Authorization: Bearer <key>", { code: "invalid_api_key" });
  if (!sameString(given, key)) throw new ApiError(401, "incorrect API key", { code: "invalid_api_key" });
}

/** Compares in time that depends only on the lengths, so a key cannot be guessed character by character. */
function sameString(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/** The body as JSON, read up to `max` bytes: 413 beyond, 400 when it is not JSON. */
async function readJson(request: Request, max: number): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) throw tooLarge(max);
  const parts: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        throw tooLarge(max);
      }
      parts.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.byteLength;
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `the request body is not valid JSON: ${(e as Error).message}`, { code: "invalid_json" });
  }
}

function tooLarge(max: number): ApiError {
  return new ApiError(413, `the request body is larger than ${max} bytes`, { code: "request_too_large" });
}
