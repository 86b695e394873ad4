import type { GemmaModel } from "../api/model.js";
import type { GenerateResult } from "../engine/generate.js";
import { isGemmaError } from "../util/errors.js";
import { ApiError } from "./api-error.js";
import type { ServerMetrics } from "./metrics.js";
import { chatLogprob, CompletionLogprobs, finishReason, usage } from "./openai-shapes.js";
import type { ParsedRequest } from "./openai-request.js";
import type { RequestQueue } from "./request-queue.js";

/** Which endpoint's shapes to answer in. */
export type Endpoint = "chat" | "completion";

export interface GenerationContext {
  readonly model: GemmaModel;
  readonly modelId: string;
  readonly queue: RequestQueue;
  readonly metrics: ServerMetrics;
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/**
 * Waits for the model, then runs one generation: streamed as server-sent events (`data: {...}` chunks, then
 * `data: [DONE]`) or answered as one JSON object. `signal` (the client going away) aborts the generation, so the
 * model is free for the next request.
 */
export async function runGeneration(ctx: GenerationContext, kind: Endpoint, req: ParsedRequest, signal: AbortSignal, arrived: number): Promise<Response> {
  const abort = new AbortController();
  const onClientGone = () => abort.abort();
  signal.addEventListener("abort", onClientGone, { once: true });
  let stream;
  try {
    stream = ctx.model.generate(req.prompt, { ...req.options, signal: abort.signal });
  } catch (e) {
    signal.removeEventListener("abort", onClientGone);
    if (isGemmaError(e)) throw new ApiError(400, e.message, { code: e.code.toLowerCase() });
    throw e;
  }
  const release = await ctx.queue.acquire(signal).catch((e: unknown) => {
    signal.removeEventListener("abort", onClientGone);
    throw e;
  });
  const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${crypto.randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: kind === "chat" ? "chat.completion.chunk" : "text_completion", created, model: ctx.modelId };
  const completionLogprobs = kind === "completion" && req.topLogprobs !== undefined ? new CompletionLogprobs() : undefined;

  /** Reads the generation, handing each piece to `emit`; frees the model however it ends. */
  const drive = async (emit: (text: string, logprobs: unknown) => void): Promise<GenerateResult> => {
    try {
      let text = "";
      let first = true;
      for await (const chunk of stream) {
        if (first && chunk.token !== undefined) {
          ctx.metrics.observeTimeToFirstToken((performance.now() - arrived) / 1000);
          first = false;
        }
        let logprobs: unknown = null;
        if (chunk.logprobs && kind === "chat") logprobs = { content: [chatLogprob(ctx.model, chunk.logprobs)] };
        if (chunk.logprobs && completionLogprobs) logprobs = completionLogprobs.add(ctx.model, chunk.logprobs, text.length);
        text += chunk.text;
        emit(chunk.text, logprobs);
      }
      const r = await stream.finished();
      ctx.metrics.countGeneration(r.promptTokens, r.tokens.length, r.decodeMs);
      return r;
    } finally {
      signal.removeEventListener("abort", onClientGone);
      release();
    }
  };

  if (!req.stream) {
    const chatLogprobs: unknown[] = [];
    const r = await drive((_text, lp) => {
      if (kind === "chat" && lp) chatLogprobs.push(...(lp as { content: unknown[] }).content);
    });
    const reason = finishReason(r.finishReason);
    const logprobs = req.topLogprobs === undefined ? null : kind === "chat" ? { content: chatLogprobs } : completionLogprobs;
    const choice =
      kind === "chat"
        ? { index: 0, message: { role: "assistant", content: r.text, refusal: null }, logprobs, finish_reason: reason }
        : { index: 0, text: r.text, logprobs, finish_reason: reason };
    const object = kind === "chat" ? "chat.completion" : "text_completion";
    return Response.json({ ...head, object, choices: [choice], usage: usage(r.promptTokens, r.tokens.length) });
  }

  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (data: unknown) => {
        try {
          controller.enqueue(encoder.encode(`data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`));
        } catch {
          // the client went away: the abort ends the generation
        }
      };
      const choice = (fields: Record<string, unknown>) => ({ ...head, choices: [{ index: 0, ...fields }] });
      if (kind === "chat") send(choice({ delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }));
      drive((text, lp) => {
        send(kind === "chat" ? choice({ delta: { content: text }, logprobs: lp, finish_reason: null }) : choice({ text, logprobs: lp, finish_reason: null }));
      })
        .then((r) => {
          const reason = finishReason(r.finishReason);
          send(kind === "chat" ? choice({ delta: {}, logprobs: null, finish_reason: reason }) : choice({ text: "", logprobs: null, finish_reason: reason }));
          if (req.includeUsage) send({ ...head, choices: [], usage: usage(r.promptTokens, r.tokens.length) });
          send("[DONE]");
        })
        .catch((e: unknown) => send(new ApiError(500, isGemmaError(e) ? e.message : String(e)).body()))
        .finally(() => {
          try {
            controller.close();
          } catch {
            // already cancelled by the client
          }
        });
    },
    cancel() {
      abort.abort();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}
