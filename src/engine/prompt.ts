import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";

export interface ChatMessage {
  readonly role: "system" | "user" | "assistant" | "model";
  readonly content: string;
}

/**
 * Token ids of a conversation in Gemma's turn format (conventions.md; gemma-architecture.md §6.1):
 * <bos> then per turn `<start_of_turn>{role}\n{content}<end_of_turn>\n`, roles user and model, content trimmed,
 * a system message folded into the first user turn followed by a blank line, and `<start_of_turn>model\n` to
 * ask for the answer. Markers go in as ids; content is tokenized as plain text, never parsed for special tokens.
 */
export function chatPromptTokens(tok: Tokenizer, messages: readonly ChatMessage[], addGenerationPrompt = true): number[] {
  const start = specialId(tok, "<start_of_turn>");
  const end = specialId(tok, "<end_of_turn>");
  const newline = tok.encode("\n");
  const ids = [tok.bos];
  let system = "";
  let expectUser = true;
  for (const m of messages) {
    if (m.role === "system") {
      if (ids.length > 1) throw new GemmaError("BAD_PROMPT", "a system message must come first");
      system = m.content.trim();
      continue;
    }
    const role = m.role === "user" ? "user" : "model";
    if ((role === "user") !== expectUser) {
      throw new GemmaError("BAD_PROMPT", `turns must alternate user/model starting with user; got "${m.role}" out of turn`);
    }
    let content = m.content.trim();
    if (role === "user" && system !== "") {
      content = `${system}\n\n${content}`;
      system = "";
    }
    ids.push(start, ...tok.encode(`${role}\n`), ...tok.encode(content), end, ...newline);
    expectUser = !expectUser;
  }
  if (addGenerationPrompt) {
    if (!expectUser) throw new GemmaError("BAD_PROMPT", "the conversation must end with a user turn to ask for an answer");
    ids.push(start, ...tok.encode("model\n"));
  }
  return ids;
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
