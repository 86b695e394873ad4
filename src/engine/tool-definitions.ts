import { GemmaError } from "../util/errors.js";
import { compileJsonSchema } from "./grammar/json-schema.js";

/** A function the model may call: its name, what it does, and a JSON schema of its arguments. */
export interface ToolDefinition {
  /** 1 to 64 characters of a-z, A-Z, 0-9, `_` and `-` (OpenAI's rule). */
  readonly name: string;
  readonly description?: string | undefined;
  /**
   * JSON schema of the arguments, with the keywords of docs/structured-output.md (the call's arguments are
   * generated under it); absent: the function takes no arguments, and is called with `{}`.
   */
  readonly parameters?: unknown;
}

/**
 * "auto": the answer is tool calls or a reply to the user; "required": tool calls; `{ name }`: calls of that tool;
 * "none": the tools are left out of the prompt and the answer is plain text.
 */
export type ToolChoice = "auto" | "required" | "none" | { readonly name: string };

/** The tools of one request and how they may be called. */
export interface ToolSetup {
  readonly tools?: readonly ToolDefinition[] | undefined;
  /** Default "auto" when there are tools. */
  readonly toolChoice?: ToolChoice | undefined;
  /**
   * Several calls in one answer; default false, exactly one (as llama.cpp for Gemma's template, where OpenAI
   * defaults to true: a small model asked for "one or more" calls tends to repeat its call until the token limit).
   */
  readonly parallelToolCalls?: boolean | undefined;
}

/**
 * A tool definition, tool choice or tool turn that cannot be used. `path` locates it in the request as the library
 * names it: `["tools", 2, "parameters"]`, `["toolChoice"]`, `["messages", 3, "toolCallId"]`,
 * `["messages", 1, "toolCalls", 0, "arguments"]` (a server maps it to its own field names).
 */
export class ToolRequestError extends GemmaError {
  readonly path: readonly (string | number)[];
  /** The problem, without the path (the message is `path: reason`). */
  readonly reason: string;

  constructor(path: readonly (string | number)[], reason: string, options?: { cause?: unknown }) {
    super("BAD_PROMPT", `${pathText(path)}: ${reason}`, options);
    this.name = "ToolRequestError";
    this.path = path;
    this.reason = reason;
  }
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

const TOOL_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A tool without parameters takes an empty object. */
export const NO_PARAMETERS: Readonly<Record<string, unknown>> = { type: "object", properties: {}, additionalProperties: false };

/** The tools a request may call, checked; `choice` resolved ("auto" when absent). */
export interface CheckedTools {
  readonly tools: readonly ToolDefinition[];
  readonly choice: ToolChoice;
  readonly parallel: boolean;
}

/**
 * Checks every definition (name, unique names, a parameters schema the grammar compiler takes) and the choice
 * (a named tool must be defined; "required" or a name needs at least one tool).
 */
export function checkTools(setup: ToolSetup): CheckedTools {
  const tools = setup.tools ?? [];
  const seen = new Set<string>();
  tools.forEach((t, i) => {
    if (typeof t.name !== "string" || !TOOL_NAME.test(t.name)) {
      throw new ToolRequestError(["tools", i, "name"], `a tool name is 1 to 64 characters of a-z, A-Z, 0-9, _ and -, got ${JSON.stringify(t.name)}`);
    }
    if (seen.has(t.name)) throw new ToolRequestError(["tools", i, "name"], `the tool name "${t.name}" is defined twice`);
    seen.add(t.name);
    if (t.description !== undefined && typeof t.description !== "string") {
      throw new ToolRequestError(["tools", i, "description"], "a tool description must be a string");
    }
    if (t.parameters === undefined) return;
    if (typeof t.parameters !== "object" || t.parameters === null || Array.isArray(t.parameters)) {
      throw new ToolRequestError(["tools", i, "parameters"], "parameters must be a JSON schema object");
    }
    try {
      compileJsonSchema(t.parameters);
    } catch (e) {
      throw new ToolRequestError(["tools", i, "parameters"], (e as Error).message, { cause: e });
    }
  });
  const choice = setup.toolChoice ?? "auto";
  if (typeof choice === "object") {
    if (!tools.some((t) => t.name === choice.name)) {
      throw new ToolRequestError(["toolChoice"], `names the tool ${JSON.stringify(choice.name)}, which is not among the tools`);
    }
  } else if (choice === "required" && tools.length === 0) {
    throw new ToolRequestError(["toolChoice"], '"required" needs at least one tool');
  } else if (choice !== "auto" && choice !== "none" && choice !== "required") {
    throw new ToolRequestError(["toolChoice"], `must be "auto", "required", "none" or a tool's name, got ${JSON.stringify(choice)}`);
  }
  return { tools, choice, parallel: setup.parallelToolCalls ?? false };
}

/** Whether the answer is a tool-call JSON document: tools are given and the choice does not turn them off. */
export function toolsActive(t: CheckedTools): boolean {
  return t.choice !== "none" && t.tools.length > 0;
}
