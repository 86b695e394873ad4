import type { BatchedModel } from "../api/batched-model.js";
import type { GemmaModel } from "../api/model.js";
import type { GenerateResult } from "../engine/generate.js";
import type { GenerationStream } from "../engine/generation-stream.js";
import { readToolAnswer, ToolAnswerReader, type ToolAnswerEvent } from "../engine/tool-answer.js";
import { isGemmaError } from "../util/errors.js";
import { ApiError } from "./api-error.js";
import type { ServerMetrics } from "./metrics.js";
import { chatLogprob, CompletionLogprobs, finishReason, usage } from "./openai-shapes.js";
import type { ParsedRequest } from "./openai-request.js";
import type { RequestQueue } from "./request-queue.js";
import { toolAnswerDelta, toolAnswerMessage, toolFinishReason } from "./tool-shapes.js";

/** Which endpoint's shapes to answer in. */
export type Endpoint = "chat" | "completion";

export interface GenerationContext {
  readonly model: GemmaModel;
  /** Runs the generations, up to one per slot at once (the queue hands out the slots). */
  readonly batch: BatchedModel;
  readonly modelId: string;
  readonly queue: RequestQueue;
  readonly metrics: ServerMetrics;
}

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** Choice i of a seeded request samples with seed + i, so that n choices differ yet repeat run to run. */
function choiceSeed(seed: number | undefined, i: number): number | undefined {
  return seed === undefined ? undefined : (seed + i) >>> 0;
}

/**
 * Waits for req.n slots, then runs the n choices together: streamed as server-sent events (`data: {...}` chunks
 * tagged with their choice index, then `data: [DONE]`) or answered as one JSON object. `signal` (the client
 * going away) aborts every choice, so the slots are free for the next request within one step.
 */
export async function runGeneration(ctx: GenerationContext, kind: Endpoint, req: ParsedRequest, signal: AbortSignal, arrived: number): Promise<Response> {
  // One listener on the client's signal stops every choice (not one listener per choice on a shared signal).
  let streams: GenerationStream<GenerateResult>[] = [];
  const abortAll = () => streams.forEach((s) => s.abort());
  signal.addEventListener("abort", abortAll, { once: true });
  let release: () => void;
  try {
    streams = Array.from({ length: req.n }, (_, i) => ctx.batch.generate(req.prompt, { ...req.options, seed: choiceSeed(req.options.seed, i) }));
    if (signal.aborted) abortAll();
    release = await ctx.queue.acquire(signal, req.n);
  } catch (e) {
    signal.removeEventListener("abort", abortAll);
    abortAll();
    if (isGemmaError(e)) throw new ApiError(400, e.message, { code: e.code.toLowerCase() });
    throw e;
  }
  const id = `${kind === "chat" ? "chatcmpl" : "cmpl"}-${crypto.randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const head = { id, object: kind === "chat" ? "chat.completion.chunk" : "text_completion", created, model: ctx.modelId };
  let firstToken = true;

  /** Reads choice `index`, handing each piece to `emit`. */
  const drive = async (index: number, emit: (index: number, text: string, logprobs: unknown) => void, completionLogprobs: CompletionLogprobs | undefined) => {
    const stream = streams[index]!;
    let text = "";
    for await (const chunk of stream) {
      if (firstToken && chunk.token !== undefined) {
        ctx.metrics.observeTimeToFirstToken((performance.now() - arrived) / 1000);
        firstToken = false;
      }
      let logprobs: unknown = null;
      if (chunk.logprobs && kind === "chat") logprobs = { content: [chatLogprob(ctx.model, chunk.logprobs)] };
      if (chunk.logprobs && completionLogprobs) logprobs = completionLogprobs.add(ctx.model, chunk.logprobs, text.length);
      text += chunk.text;
      emit(index, chunk.text, logprobs);
    }
    const r = await stream.finished();
    ctx.metrics.countGeneration(r.promptTokens, r.tokens.length, r.decodeMs);
    return r;
  };
  /** Runs every choice; the first failure aborts the others. The slots are freed however it ends. */
  const driveAll = async (emit: (index: number, text: string, logprobs: unknown) => void, logprobs: (CompletionLogprobs | undefined)[]) => {
    try {
      return await Promise.all(
        streams.map((_, i) =>
          drive(i, emit, logprobs[i]).catch((e: unknown) => {
            abortAll();
            throw e;
          }),
        ),
      );
    } finally {
      signal.removeEventListener("abort", abortAll);
      release();
    }
  };
  const totals = (rs: readonly GenerateResult[]) => usage(rs[0]!.promptTokens, rs.reduce((sum, r) => sum + r.tokens.length, 0));
  const completionLogprobs = streams.map(() => (kind === "completion" && req.topLogprobs !== undefined ? new CompletionLogprobs() : undefined));

  if (!req.stream) {
    const chatLogprobs: unknown[][] = streams.map(() => []);
    const rs = await driveAll((i, _text, lp) => {
      if (kind === "chat" && lp) chatLogprobs[i]!.push(...(lp as { content: unknown[] }).content);
    }, completionLogprobs);
    const choices = rs.map((r, index) => {
      if (kind === "chat" && req.toolAnswers) {
        const answer = readToolAnswer(r.text);
        return { index, message: toolAnswerMessage(answer), logprobs: null, finish_reason: toolFinishReason(r.finishReason, answer) };
      }
      const reason = finishReason(r.finishReason);
      const logprobs = req.topLogprobs === undefined ? null : kind === "chat" ? { content: chatLogprobs[index] } : completionLogprobs[index];
      return kind === "chat"
        ? { index, message: { role: "assistant", content: r.text, refusal: null }, logprobs, finish_reason: reason }
        : { index, text: r.text, logprobs, finish_reason: reason };
    });
    const object = kind === "chat" ? "chat.completion" : "text_completion";
    return Response.json({ ...head, object, choices, usage: totals(rs) });
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
      const choice = (index: number, fields: Record<string, unknown>) => ({ ...head, choices: [{ index, ...fields }] });
      // tool answers: the JSON is read as it comes and streamed as OpenAI's content and tool_calls deltas
      const readers = streams.map(() => (kind === "chat" && req.toolAnswers ? new ToolAnswerReader() : undefined));
      const sendEvents = (i: number, events: readonly ToolAnswerEvent[]) => {
        for (const e of events) send(choice(i, { delta: toolAnswerDelta(e), logprobs: null, finish_reason: null }));
      };
      if (kind === "chat") streams.forEach((_, i) => send(choice(i, { delta: { role: "assistant", content: readers[i] ? null : "" }, logprobs: null, finish_reason: null })));
      driveAll((i, text, lp) => {
        const reader = readers[i];
        if (reader) sendEvents(i, reader.push(text));
        else send(kind === "chat" ? choice(i, { delta: { content: text }, logprobs: lp, finish_reason: null }) : choice(i, { text, logprobs: lp, finish_reason: null }));
      }, completionLogprobs)
        .then((rs) => {
          rs.forEach((r, i) => {
            const reader = readers[i];
            if (reader) sendEvents(i, reader.end());
            const reason = reader ? toolFinishReason(r.finishReason, reader.answer) : finishReason(r.finishReason);
            send(kind === "chat" ? choice(i, { delta: {}, logprobs: null, finish_reason: reason }) : choice(i, { text: "", logprobs: null, finish_reason: reason }));
          });
          if (req.includeUsage) send({ ...head, choices: [], usage: totals(rs) });
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
      abortAll();
    },
  });
  return new Response(body, { headers: SSE_HEADERS });
}
