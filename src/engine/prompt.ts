import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import { type PromptPart, promptIds } from "./prompt-parts.js";

export interface ChatMessage {
  /** "assistant" and "model" are the same role (Hugging Face templates say assistant, Gemma's format model). */
  readonly role: "system" | "user" | "assistant" | "model";
  readonly content: string;
}

/**
 * Token ids of a conversation in Gemma's turn format (conventions.md; gemma-architecture.md §6.1):
 * <bos> then per turn `<start_of_turn>{role}\n{content}<end_of_turn>\n`, roles user and model, content trimmed,
 * a system message folded into the first user turn followed by a blank line (as llama.cpp's built-in gemma
 * template and the Gemma 3 Hugging Face template do), and `<start_of_turn>model\n` to ask for the answer.
 * Markers go in as ids; content is tokenized as plain text, never parsed for special tokens.
 */
export function chatPromptTokens(tok: Tokenizer, messages: readonly ChatMessage[], addGenerationPrompt = true): number[] {
  const start = specialId(tok, "<start_of_turn>");
  const end = specialId(tok, "<end_of_turn>");
  const parts: PromptPart[] = [];
  if (tok.bos >= 0) parts.push({ token: tok.bos });
  let system = "";
  let expectUser = true;
  let turns = 0;
  for (const m of messages) {
    if (m.role === "system") {
      if (turns > 0 || system !== "") throw new GemmaError("BAD_PROMPT", "a system message must come first, and only once");
      system = m.content.trim();
      continue;
    }
    const role = m.role === "user" ? "user" : "model";
    if ((role === "user") !== expectUser) {
      throw new GemmaError("BAD_PROMPT", `turns must alternate user/model starting with user; got "${m.role}" out of turn`);
    }
    let content = m.content.trim();
    if (turns === 0 && system !== "") content = `${system}\n\n${content}`;
    parts.push({ token: start }, { template: `${role}\n` }, { content }, { token: end }, { template: "\n" });
    expectUser = !expectUser;
    turns++;
  }
  if (addGenerationPrompt) {
    if (expectUser) throw new GemmaError("BAD_PROMPT", "the conversation must end with a user turn to ask for an answer");
    parts.push({ token: start }, { template: "model\n" });
  }
  return promptIds(tok, parts);
}

function specialId(tok: Tokenizer, piece: string): number {
  const id = tok.tokenId(piece);
  if (id === undefined) throw new GemmaError("TOKENIZER_BAD_VOCAB", `the vocabulary has no ${piece} token, needed for the chat format`);
  return id;
}

/** Ids that end generation: <eos> and, where the vocabulary has it, <end_of_turn>. */
export function stopTokens(tok: Tokenizer): number[] {
  const eot = tok.tokenId("<end_of_turn>");
  return eot === undefined ? [tok.eos] : [tok.eos, eot];
}
