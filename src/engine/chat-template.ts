import { Template } from "@huggingface/jinja";
import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import { chatPromptTokens, type ChatMessage } from "./prompt.js";
import { type PromptPart, promptIds } from "./prompt-parts.js";

/**
 * Which chat format a conversation is written in: "model" is the Jinja template in the model file
 * (tokenizer.chat_template), "builtin" is Gemma's turn format (prompt.ts), and "auto" (the default) takes the
 * model's template when the file has one, since it is the model author's, and the builtin format otherwise.
 * For Gemma 3 the two give identical ids.
 */
export type ChatTemplateChoice = "auto" | "builtin" | "model";

/** A conversation formatter for one tokenizer and one chat format. */
export interface ChatFormat {
  readonly kind: "builtin" | "model";
  /** Token ids of `messages`, with the header of a model turn at the end when addGenerationPrompt. */
  tokens(messages: readonly ChatMessage[], addGenerationPrompt?: boolean): number[];
}

export function chatFormat(tok: Tokenizer, modelTemplate: string | undefined, choice: ChatTemplateChoice = "auto"): ChatFormat {
  if (choice === "model" && modelTemplate === undefined) {
    throw new GemmaError("BAD_PROMPT", "the model file has no chat template (tokenizer.chat_template); use the builtin format");
  }
  if (choice === "builtin" || modelTemplate === undefined) {
    return { kind: "builtin", tokens: (messages, add = true) => chatPromptTokens(tok, messages, add) };
  }
  const template = parseTemplate(modelTemplate);
  return {
    kind: "model",
    tokens: (messages, add = true) => promptIds(tok, renderParts(tok, template, modelTemplate, messages, add)),
  };
}

function parseTemplate(source: string): Template {
  try {
    return new Template(source);
  } catch (e) {
    throw new GemmaError("BAD_PROMPT", `the model's chat template does not parse: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A Jinja template never sees the real content (which could then be mistaken for template text): each message
 * is rendered as a marker, `\u3000` + open + index + close + `\u3000`, and the content is put back in its place as
 * a content part. The ideographic spaces tell whether the template trimmed the content on either side (then the
 * real content is trimmed on that side too); open and close are private-use characters that occur in no message
 * and not in the template. Other changes a template might make to content are not followed: one that leaves the
 * marker whole (a case change) has no effect, one that cuts into it (slicing) is refused.
 */
const SENTINEL = "\u3000";

function renderParts(
  tok: Tokenizer,
  template: Template,
  source: string,
  messages: readonly ChatMessage[],
  addGenerationPrompt: boolean,
): PromptPart[] {
  const [open, close] = markerChars(source, messages);
  const marked = messages.map((m, i) => ({
    role: m.role === "model" ? "assistant" : m.role,
    content: `${SENTINEL}${open}${i}${close}${SENTINEL}`,
  }));
  let text: string;
  try {
    text = template.render({
      messages: marked,
      bos_token: tok.bos >= 0 ? tok.piece(tok.bos) : "",
      eos_token: tok.eos >= 0 ? tok.piece(tok.eos) : "",
      add_generation_prompt: addGenerationPrompt,
    });
  } catch (e) {
    throw new GemmaError("BAD_PROMPT", `the model's chat template failed: ${(e as Error).message}`, { cause: e });
  }
  const marker = new RegExp(`(${SENTINEL}?)${open}(\\d+)${close}(${SENTINEL}?)`, "gu");
  const parts: PromptPart[] = [];
  let pos = 0;
  for (const m of text.matchAll(marker)) {
    const message = messages[Number(m[2])];
    if (message === undefined) throw cannotSplice(`marker ${m[2]} names no message`);
    parts.push({ template: text.slice(pos, m.index) });
    let content = message.content;
    if (m[1] === "") content = content.trimStart();
    if (m[3] === "") content = content.trimEnd();
    parts.push({ content });
    pos = m.index + m[0].length;
  }
  const rest = text.slice(pos);
  parts.push({ template: rest });
  for (const p of parts) {
    if ("template" in p && (p.template.includes(open) || p.template.includes(close))) throw cannotSplice("it changed a message's content");
  }
  return parts;
}

function cannotSplice(why: string): GemmaError {
  return new GemmaError("BAD_PROMPT", `the model's chat template cannot be used safely (${why}); use the builtin format`);
}

/** Two private-use characters that occur neither in the template nor in any message. */
function markerChars(source: string, messages: readonly ChatMessage[]): [string, string] {
  const used = (c: string) => source.includes(c) || messages.some((m) => m.content.includes(c));
  const found: string[] = [];
  for (let code = 0xe000; code <= 0xf8ff && found.length < 2; code++) {
    const c = String.fromCharCode(code);
    if (!used(c)) found.push(c);
  }
  if (found.length < 2) throw new GemmaError("BAD_PROMPT", "the messages use every private-use character: none is left to mark content for the chat template");
  return [found[0]!, found[1]!];
}
