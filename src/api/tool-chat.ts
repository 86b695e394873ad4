import type { ChatTemplateChoice } from "../engine/chat-template.js";
import type { GenerateResult } from "../engine/generate.js";
import { GenerationStream } from "../engine/generation-stream.js";
import type { ToolAnswer } from "../engine/tool-answer.js";
import type { ToolSetup } from "../engine/tool-definitions.js";
import { planToolChat, type ToolChatMessage } from "../engine/tool-prompt.js";
import { GemmaError } from "../util/errors.js";
import type { CompletionOptions, GemmaModel } from "./model.js";

/** Options of GemmaModel.toolChat: the tools, how they may be called, the chat format, and the generation's. */
export interface ToolChatOptions extends CompletionOptions, ToolSetup {
  /** Chat format (default "auto": the model's template when it has one). */
  readonly template?: ChatTemplateChoice | undefined;
}

/** A finished tool-chat answer: the generation's totals, and the answer read as tool calls or a reply. */
export interface ToolChatResult extends GenerateResult, ToolAnswer {}

/**
 * One answer to a conversation that may call tools (engine/tool-prompt.ts has the prompt format). With tools
 * active, the chunks are the answer's JSON as generated (ToolAnswerReader turns them into reply text and calls
 * as they come) and the result holds the calls or the reply; otherwise the answer is plain text, all `content`.
 */
export function toolChatStream(model: GemmaModel, messages: readonly ToolChatMessage[], opts: ToolChatOptions = {}): GenerationStream<ToolChatResult> {
  const plan = planToolChat(messages, opts);
  if (plan.jsonSchema !== undefined && (opts.jsonSchema !== undefined || opts.grammar !== undefined)) {
    throw new GemmaError("BAD_PROMPT", "with tools the answer's format is the tool-call JSON: give no jsonSchema or grammar (or toolChoice \"none\")");
  }
  const ids = model.formatChat(plan.messages, opts.template);
  const genOpts: CompletionOptions = plan.jsonSchema === undefined ? opts : { ...opts, jsonSchema: plan.jsonSchema, jsonWhitespace: plan.jsonWhitespace };
  return new GenerationStream(async function* (signal) {
    const inner = model.generate(ids, { ...genOpts, signal });
    for await (const chunk of inner) yield chunk;
    const r = await inner.finished();
    return { ...r, ...plan.answer(r.text) };
  }, opts.signal);
}
