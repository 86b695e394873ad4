/** A call the model asked for. */
export interface ToolCall {
  /** `call_` and 24 random hex digits, given when the call is read (the model does not write ids). */
  readonly id: string;
  readonly name: string;
  /** The arguments as JSON text, exactly as generated (as OpenAI's `function.arguments`). */
  readonly arguments: string;
}

/** An answer read from the tool-call JSON: tool calls (content null), or the reply's text (no calls). */
export interface ToolAnswer {
  readonly content: string | null;
  readonly toolCalls: readonly ToolCall[];
}

/** What a piece of the answer adds: reply text, a call whose name is complete, or more of a call's arguments. */
export type ToolAnswerEvent =
  | { readonly kind: "content"; readonly text: string }
  | { readonly kind: "call"; readonly index: number; readonly id: string; readonly name: string }
  | { readonly kind: "arguments"; readonly index: number; readonly text: string };

/** A call id as OpenAI writes them; random, from the platform's crypto (browsers and Node alike). */
export function newToolCallId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `call_${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

interface Frame {
  readonly kind: "object" | "array";
  /** Objects: the key of the member being read. */
  key: string | null;
}

interface PendingCall {
  readonly id: string;
  name: string | null;
  args: string;
  /** Arguments read but not yet given out as an event. */
  unsent: string;
  announced: boolean;
}

type Mode = "value" | "key" | "colon" | "after" | "string" | "escape" | "unicode" | "scalar";
/** Which string is being read: an object key, a call's name, the reply, or any other (not decoded). */
type StringRole = "key" | "name" | "response" | "other";

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
const WHITESPACE = " \t\n\r";
const SCALAR = /[-+.0-9eEtruefalsn]/;

/**
 * Reads an answer written in the tool-call JSON of tool-schema.ts as it is generated, piece by piece: the reply's
 * text is decoded from its JSON string as it comes (an escape or a high surrogate split across pieces waits for
 * the rest), a call is announced once its name is complete, and its arguments are passed on as the raw JSON text
 * they are written in. A text cut short (a token limit) leaves what was complete. Text outside that shape (which
 * the schema's constraint does not let through) adds nothing.
 */
export class ToolAnswerReader {
  private readonly stack: Frame[] = [];
  private mode: Mode = "value";
  private role: StringRole = "other";
  private decoded = "";
  private hex = "";
  private readonly calls: PendingCall[] = [];
  private sawCalls = false;
  private response = "";
  /** Reply text decoded but not yet given out. */
  private unsentText = "";
  /** Stack depth at which the arguments being captured started; -1: none. */
  private captureDepth = -1;

  /** Reads the next piece; returns the events it completes. */
  push(text: string): ToolAnswerEvent[] {
    for (const c of text) this.step(c);
    return this.events(false);
  }

  /** The end of the text: gives out anything held back. */
  end(): ToolAnswerEvent[] {
    if (this.mode === "scalar") this.valueDone();
    return this.events(true);
  }

  /** The answer so far: the announced calls, or (when the answer holds no tool_calls) the reply text. */
  get answer(): ToolAnswer {
    const toolCalls = this.calls.filter((c) => c.name !== null).map((c) => ({ id: c.id, name: c.name!, arguments: c.args }));
    return this.sawCalls ? { content: null, toolCalls } : { content: this.response, toolCalls: [] };
  }

  private events(final: boolean): ToolAnswerEvent[] {
    const out: ToolAnswerEvent[] = [];
    let text = this.unsentText;
    // a high surrogate waits for its low half, so that no piece carries half a character
    const last = text.charCodeAt(text.length - 1);
    const hold = !final && last >= 0xd800 && last <= 0xdbff ? 1 : 0;
    this.unsentText = text.slice(text.length - hold);
    text = text.slice(0, text.length - hold);
    if (text !== "") out.push({ kind: "content", text });
    this.calls.forEach((c, index) => {
      if (c.name === null) return;
      if (!c.announced) out.push({ kind: "call", index, id: c.id, name: c.name });
      c.announced = true;
      if (c.unsent !== "") out.push({ kind: "arguments", index, text: c.unsent });
      c.unsent = "";
    });
    return out;
  }

  private step(c: string): void {
    if (this.mode === "scalar" && !SCALAR.test(c)) this.valueDone();
    if (this.captureDepth >= 0) this.capture(c);
    switch (this.mode) {
      case "string":
        if (c === '"') this.endString();
        else if (c === "\\") this.mode = "escape";
        else this.addChar(c);
        return;
      case "escape":
        if (c === "u") {
          this.mode = "unicode";
          this.hex = "";
          return;
        }
        this.addChar(ESCAPES[c] ?? c);
        this.mode = "string";
        return;
      case "unicode":
        this.hex += c;
        if (this.hex.length === 4) {
          this.addChar(String.fromCharCode(parseInt(this.hex, 16)));
          this.mode = "string";
        }
        return;
      case "scalar":
        return;
    }
    if (WHITESPACE.includes(c)) return;
    const top = this.stack[this.stack.length - 1];
    if (this.mode === "colon") {
      if (c === ":") this.mode = "value";
      return;
    }
    if (this.mode === "key") {
      if (c === '"') this.startString("key");
      else if (c === "}") this.close();
      return;
    }
    if (this.mode === "after") {
      if (c === ",") this.mode = top?.kind === "object" ? "key" : "value";
      else if (c === "}" || c === "]") this.close();
      return;
    }
    // a value starts
    if (c === "]" && top?.kind === "array") {
      this.close();
      return;
    }
    const slot = this.slot();
    if (slot === "arguments") this.startCapture(c);
    if (c === "{" || c === "[") {
      if (slot === "calls" && c === "[") this.sawCalls = true;
      if (slot === "call" && c === "{") this.calls.push({ id: newToolCallId(), name: null, args: "", unsent: "", announced: false });
      this.stack.push({ kind: c === "{" ? "object" : "array", key: null });
      this.mode = c === "{" ? "key" : "value";
    } else if (c === '"') {
      this.startString(slot === "name" || slot === "response" ? slot : "other");
    } else {
      this.mode = "scalar";
    }
  }

  /** What the value starting now is in the answer's shape. */
  private slot(): "calls" | "call" | "name" | "arguments" | "response" | "other" {
    const [root, list, call] = this.stack;
    const depth = this.stack.length;
    if (depth === 1 && root!.kind === "object") {
      if (root!.key === "tool_calls") return "calls";
      if (root!.key === "response") return "response";
    }
    if (depth === 2 && root!.key === "tool_calls" && list!.kind === "array") return "call";
    if (depth === 3 && root!.key === "tool_calls" && list!.kind === "array" && call!.kind === "object") {
      if (call!.key === "name") return "name";
      if (call!.key === "arguments") return "arguments";
    }
    return "other";
  }

  private startString(role: StringRole): void {
    this.mode = "string";
    this.role = role;
    this.decoded = "";
  }

  /** A decoded character of the current string: the reply's go out as they come, keys and names are kept whole. */
  private addChar(c: string): void {
    if (this.role === "response") {
      this.response += c;
      this.unsentText += c;
    } else if (this.role !== "other") this.decoded += c;
  }

  private endString(): void {
    const text = this.decoded;
    this.decoded = "";
    if (this.role === "key") {
      this.stack[this.stack.length - 1]!.key = text;
      this.mode = "colon";
      return;
    }
    if (this.role === "name") {
      const call = this.calls[this.calls.length - 1];
      if (call && call.name === null) call.name = text;
    }
    this.valueDone();
  }

  private close(): void {
    this.stack.pop();
    this.valueDone();
  }

  private valueDone(): void {
    this.mode = "after";
    if (this.captureDepth === this.stack.length) this.captureDepth = -1;
  }

  private startCapture(first: string): void {
    this.captureDepth = this.stack.length;
    this.capture(first);
  }

  private capture(c: string): void {
    const call = this.calls[this.calls.length - 1];
    if (!call) return;
    call.args += c;
    call.unsent += c;
  }
}

/** Reads a whole answer. */
export function readToolAnswer(text: string): ToolAnswer {
  const reader = new ToolAnswerReader();
  reader.push(text);
  reader.end();
  return reader.answer;
}
