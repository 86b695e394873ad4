import type { ToolChoice, ToolDefinition, ToolRequestError, ToolSetup } from "../engine/tool-definitions.js";
import type { ToolCallsMessage } from "../engine/tool-prompt.js";
import { ApiError, badField } from "./api-error.js";

type Body = Record<string, unknown>;

function isObject(v: unknown): v is Body {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * `tools`, `tool_choice` and `parallel_tool_calls` of a chat request in the library's terms. OpenAI's deprecated
 * `functions` / `function_call` are refused with a pointer to their replacements.
 */
export function toolSetup(body: Body): ToolSetup {
  for (const legacy of ["functions", "function_call"]) {
    if (body[legacy] !== undefined && body[legacy] !== null) {
      throw new ApiError(400, `${legacy} (OpenAI's deprecated function calling) is not supported: use tools and tool_choice`, { param: legacy, code: "unsupported_parameter" });
    }
  }
  const tools = toolList(body.tools);
  const choice = toolChoice(body.tool_choice);
  if (choice !== undefined && tools === undefined) throw badField("tool_choice", "tool_choice needs tools");
  const parallel = body.parallel_tool_calls;
  if (parallel !== undefined && parallel !== null && typeof parallel !== "boolean") throw badField("parallel_tool_calls", "parallel_tool_calls must be a boolean");
  return { tools, toolChoice: choice, parallelToolCalls: parallel ?? undefined };
}

function toolList(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw badField("tools", "tools must be an array of function tools");
  return value.map((t: unknown, i) => {
    const param = `tools[${i}]`;
    if (!isObject(t) || t.type !== "function") throw badField(`${param}.type`, `${param} must be {"type": "function", "function": {...}} (only function tools are supported)`);
    const f = t.function;
    if (!isObject(f)) throw badField(`${param}.function`, `${param}.function must be an object`);
    if (typeof f.name !== "string") throw badField(`${param}.function.name`, `${param}.function.name must be a string`);
    if (f.description !== undefined && f.description !== null && typeof f.description !== "string") {
      throw badField(`${param}.function.description`, `${param}.function.description must be a string`);
    }
    if (f.strict !== undefined && f.strict !== null && typeof f.strict !== "boolean") throw badField(`${param}.function.strict`, `${param}.function.strict must be a boolean`);
    // strict is accepted and always honoured: the arguments are generated under the parameters schema
    return { name: f.name, description: f.description ?? undefined, parameters: f.parameters ?? undefined };
  });
}

function toolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === "auto" || value === "none" || value === "required") return value;
  const f = isObject(value) && value.type === "function" ? value.function : undefined;
  if (!isObject(f) || typeof f.name !== "string") {
    throw badField("tool_choice", 'tool_choice must be "auto", "none", "required" or {"type": "function", "function": {"name": ...}}');
  }
  return { name: f.name };
}

/** An assistant message's `tool_calls` (`param`: where they are), each `{id, type: "function", function: {name, arguments}}`. */
export function toolCalls(value: unknown, param: string): ToolCallsMessage["toolCalls"] {
  if (!Array.isArray(value)) throw badField(param, `${param} must be an array`);
  return value.map((c: unknown, j) => {
    const at = `${param}[${j}]`;
    if (!isObject(c) || c.type !== "function") throw badField(`${at}.type`, `${at} must be a function call, {"id", "type": "function", "function": {"name", "arguments"}}`);
    if (typeof c.id !== "string" || c.id === "") throw badField(`${at}.id`, `${at}.id must be a non-empty string`);
    const f = c.function;
    if (!isObject(f) || typeof f.name !== "string") throw badField(`${at}.function.name`, `${at}.function.name must be a string`);
    if (typeof f.arguments !== "string") throw badField(`${at}.function.arguments`, `${at}.function.arguments must be a string of JSON`);
    return { id: c.id, name: f.name, arguments: f.arguments };
  });
}

/** A ToolRequestError as a 400 naming OpenAI's field (the library's path, in OpenAI's names). */
export function toolRequestError(e: ToolRequestError): ApiError {
  const [head, index, key, call, callKey] = e.path;
  let param: string;
  if (head === "toolChoice") param = "tool_choice";
  else if (head === "tools") param = `tools[${index}].function.${String(key)}`;
  else if (key === "toolCallId") param = `messages[${index}].tool_call_id`;
  else if (key === "toolCalls") param = `messages[${index}].tool_calls[${call}].function.${String(callKey)}`;
  else param = "messages";
  return badField(param, `${param}: ${e.reason}`);
}
