import type { FinishReason } from "../engine/generate.js";
import type { ToolAnswer, ToolAnswerEvent } from "../engine/tool-answer.js";

/** OpenAI's finish reasons for a tool answer: "tool_calls" when it calls, "length" when it was cut off. */
export function toolFinishReason(r: FinishReason, answer: ToolAnswer): "stop" | "length" | "tool_calls" {
  if (r === "length") return "length";
  return answer.toolCalls.length > 0 ? "tool_calls" : "stop";
}

/** The assistant message of a whole answer: `tool_calls` with content null, or the reply as content. */
export function toolAnswerMessage(answer: ToolAnswer): Record<string, unknown> {
  if (answer.toolCalls.length === 0) return { role: "assistant", content: answer.content ?? "", refusal: null };
  const toolCalls = answer.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
  return { role: "assistant", content: null, refusal: null, tool_calls: toolCalls };
}

/**
 * Streamed deltas of a tool answer's events, shaped as OpenAI streams tool calls (and as its clients assemble
 * them): a call first comes with its index, id, type and name (and empty arguments), then its arguments in
 * pieces under the same index; reply text comes as content.
 */
export function toolAnswerDelta(e: ToolAnswerEvent): Record<string, unknown> {
  switch (e.kind) {
    case "content":
      return { content: e.text };
    case "call":
      return { tool_calls: [{ index: e.index, id: e.id, type: "function", function: { name: e.name, arguments: "" } }] };
    case "arguments":
      return { tool_calls: [{ index: e.index, function: { arguments: e.text } }] };
  }
}
