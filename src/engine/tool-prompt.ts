import type { ChatMessage } from "./prompt.js";
import { readToolAnswer, type ToolAnswer, type ToolCall } from "./tool-answer.js";
import { checkTools, NO_PARAMETERS, ToolRequestError, toolsActive, type CheckedTools, type ToolSetup } from "./tool-definitions.js";
import { toolAnswerSchema } from "./tool-schema.js";

/** An assistant turn that called tools (`content`: text written beside the calls, if any). */
export interface ToolCallsMessage {
  readonly role: "assistant" | "model";
  readonly content?: string | null | undefined;
  readonly toolCalls: readonly ToolCall[];
}

/** The result of an earlier call, answering the call with id `toolCallId`. */
export interface ToolResultMessage {
  readonly role: "tool";
  readonly toolCallId: string;
  readonly content: string;
}

/** A turn of a conversation that may hold tool calls and their results. */
export type ToolChatMessage = ChatMessage | ToolCallsMessage | ToolResultMessage;

/** A conversation with tools, lowered to Gemma's plain turns, and how to read its answer. */
export interface ToolChatPlan {
  readonly messages: readonly ChatMessage[];
  /** The answer's JSON schema when tools are active (generate under it); undefined: a plain answer. */
  readonly jsonSchema: unknown;
  /**
   * Whitespace allowed between the answer's JSON tokens: none, as in the calls shown in the prompt (left free,
   * a small model spends many of its tokens on indentation inside calls).
   */
  readonly jsonWhitespace: number;
  /** The answer of a generated text: tool calls or a reply (a plain answer is all reply). */
  answer(text: string): ToolAnswer;
}

/**
 * Gemma has no tool tokens, so tools live in text (the approach of ggml-org/llama.cpp's generic tool-call
 * handler, common/chat.cpp, written anew):
 *
 * - When tools are active, a system text describes them, one JSON object per line
 *   (`{"name", "description", "parameters"}`), and says which JSON answer to give; it follows the conversation's
 *   own system prompt, and the chat format folds both into the first user turn.
 * - An assistant turn with tool calls is the JSON the model would have written:
 *   `{"tool_calls":[{"name":"f","arguments":<the call's arguments JSON>}]}`, after the turn's text if it has any.
 * - Tool results (`role: "tool"`, in a row) become one user turn, `{"tool_results":[{"name":"f","content":"..."}]}`,
 *   each labelled with the name of the call it answers (found by its id); a user message right after them joins
 *   that turn after a blank line.
 *
 * Every message's text stays content (never parsed for control tokens). Call ids are not shown to the model.
 */
export function planToolChat(messages: readonly ToolChatMessage[], setup: ToolSetup = {}): ToolChatPlan {
  const tools = checkTools(setup);
  const lowered = lowerToolTurns(messages);
  if (!toolsActive(tools)) return { messages: lowered, jsonSchema: undefined, jsonWhitespace: 0, answer: (text) => ({ content: text, toolCalls: [] }) };
  const instructions = toolInstructions(tools);
  const [head, ...rest] = lowered;
  const withTools: ChatMessage[] =
    head?.role === "system" ? [{ role: "system", content: `${head.content.trim()}\n\n${instructions}` }, ...rest] : [{ role: "system", content: instructions }, ...lowered];
  return { messages: withTools, jsonSchema: toolAnswerSchema(tools), jsonWhitespace: 0, answer: readToolAnswer };
}

/** Tool calls and tool results as plain user and model turns (see planToolChat). */
export function lowerToolTurns(messages: readonly ToolChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  const callNames = new Map<string, string>();
  let results: { name: string; content: string }[] = [];
  const resultsText = () => JSON.stringify({ tool_results: results });
  messages.forEach((m, i) => {
    if (m.role === "tool") {
      const name = callNames.get(m.toolCallId);
      if (name === undefined) throw new ToolRequestError(["messages", i, "toolCallId"], `no earlier assistant turn has a tool call with the id ${JSON.stringify(m.toolCallId)}`);
      results.push({ name, content: m.content });
      return;
    }
    if (results.length > 0) {
      const text = resultsText();
      results = [];
      if (m.role === "user") {
        out.push({ role: "user", content: `${text}\n\n${m.content.trim()}` });
        return;
      }
      out.push({ role: "user", content: text });
    }
    if (!("toolCalls" in m)) {
      out.push(m);
      return;
    }
    if (m.toolCalls.length === 0) {
      out.push({ role: m.role, content: m.content ?? "" });
      return;
    }
    const calls = m.toolCalls.map((c, j) => {
      checkArguments(c.arguments, ["messages", i, "toolCalls", j, "arguments"]);
      callNames.set(c.id, c.name);
      return `{"name":${JSON.stringify(c.name)},"arguments":${c.arguments.trim()}}`;
    });
    const json = `{"tool_calls":[${calls.join(",")}]}`;
    const text = m.content?.trim() ?? "";
    out.push({ role: "assistant", content: text === "" ? json : `${text}\n\n${json}` });
  });
  if (results.length > 0) out.push({ role: "user", content: resultsText() });
  return out;
}

function checkArguments(text: string, path: readonly (string | number)[]): void {
  try {
    JSON.parse(text);
  } catch (e) {
    throw new ToolRequestError(path, `the arguments are not JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** The system text that describes the tools and the answer wanted. */
function toolInstructions(t: CheckedTools): string {
  const lines = t.tools.map((tool) =>
    JSON.stringify({ name: tool.name, ...(tool.description === undefined ? {} : { description: tool.description }), parameters: tool.parameters ?? NO_PARAMETERS }),
  );
  const many = t.parallel ? "one or more calls" : "exactly one call";
  const callShape = (name: string) => `{"tool_calls": [{"name": ${name}, "arguments": <its arguments as a JSON object>}${t.parallel ? ", ..." : ""}]}`;
  let answer: string;
  if (typeof t.choice === "object") answer = `Call the tool ${t.choice.name}: reply with only ${callShape(JSON.stringify(t.choice.name))}, ${many}.`;
  else if (t.choice === "required") answer = `Call tools: reply with only ${callShape("<tool name>")}, ${many}.`;
  else answer = `To call tools, reply with only ${callShape("<tool name>")}, ${many}. To answer the user directly instead, reply with only {"response": <your answer as a JSON string>}.`;
  return [
    "You can call these tools. Each is described by a JSON object with its name, what it does and the JSON schema of its arguments:",
    ...lines,
    "",
    answer,
    'Tool results come back as {"tool_results": [{"name": <tool name>, "content": <result>}]}.',
  ].join("\n");
}
