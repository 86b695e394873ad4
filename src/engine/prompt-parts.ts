import type { Tokenizer } from "../tokenizer/index.js";
import { SpecialMatcher } from "../tokenizer/special-matcher.js";

/**
 * A prompt as a chat format builds it: template text, in which control-token strings (`<start_of_turn>`, `<bos>`)
 * stand for their ids; message content, which is only ever text; and token ids put in directly.
 */
export type PromptPart = { readonly template: string } | { readonly content: string } | { readonly token: number };

const controlMatchers = new WeakMap<Tokenizer, SpecialMatcher>();

/** A matcher for the control pieces of a vocabulary (built once per tokenizer). */
function controlMatcher(tok: Tokenizer): SpecialMatcher {
  let m = controlMatchers.get(tok);
  if (!m) {
    const pieces: [string, number][] = [];
    for (let id = 0; id < tok.vocabSize; id++) if (tok.isControl(id)) pieces.push([tok.piece(id), id]);
    m = new SpecialMatcher(pieces);
    controlMatchers.set(tok, m);
  }
  return m;
}

/**
 * Token ids of a prompt. Control-token strings in template text become their ids; everything between two of them
 * (template text and content alike) is tokenized as one plain text with parseSpecial false, which is how the
 * Hugging Face tokenizer encodes a rendered template whose content holds no special-token strings. Content can
 * therefore never produce a control id (no prompt injection through "<end_of_turn>" in a message).
 *
 * BOS (conventions.md: one BOS only): the prompt starts with exactly one BOS when the format writes one at the
 * start or the tokenizer asks for one (llama.cpp tokenizes a rendered template with add_special, which would
 * give two; Hugging Face templates write `{{ bos_token }}` themselves).
 */
export function promptIds(tok: Tokenizer, parts: readonly PromptPart[]): number[] {
  const matcher = controlMatcher(tok);
  const ids: number[] = [];
  let plain = "";
  const flushPlain = () => {
    if (plain !== "") for (const id of tok.encode(plain, { parseSpecial: false })) ids.push(id);
    plain = "";
  };
  for (const part of parts) {
    if ("content" in part) {
      plain += part.content;
      continue;
    }
    if ("token" in part) {
      flushPlain();
      ids.push(part.token);
      continue;
    }
    const text = part.template;
    let pos = 0;
    while (pos < text.length) {
      const at = matcher.empty ? -1 : matcher.find(text, pos);
      plain += text.slice(pos, at < 0 ? text.length : at);
      if (at < 0) break;
      flushPlain();
      ids.push(matcher.matchId);
      pos = matcher.matchEnd;
    }
  }
  flushPlain();
  let start = 0;
  while (start < ids.length && ids[start] === tok.bos) start++;
  const body = ids.slice(start);
  return (start > 0 || tok.addBos) && tok.bos >= 0 ? [tok.bos, ...body] : body;
}
