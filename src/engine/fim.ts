import type { GgufMetadata } from "../formats/gguf/index.js";
import type { Tokenizer } from "../tokenizer/index.js";
import { GemmaError } from "../util/errors.js";
import { promptIds } from "./prompt-parts.js";

/** Ids of CodeGemma's fill-in-the-middle markers (gemma-architecture.md §6.2). */
export interface FimTokens {
  readonly prefix: number;
  readonly suffix: number;
  readonly middle: number;
  /** `<|file_separator|>`, which ends an infill; undefined when the model has none. */
  readonly separator: number | undefined;
}

/** GGUF keys per marker: llama.cpp's current spelling first, then the older one (ggml-org/llama.cpp:gguf-py/gguf/constants.py). */
const KEYS = {
  prefix: ["tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id"],
  suffix: ["tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id"],
  middle: ["tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id"],
  separator: ["tokenizer.ggml.fim_sep_token_id"],
} as const;

/** The marker pieces as CodeGemma's vocabulary spells them (ids 67, 69, 68, 70 in Gemma 1). */
const PIECES = { prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>", separator: "<|file_separator|>" } as const;

/**
 * The FIM marker ids of a model: from its GGUF metadata when given (either key spelling), otherwise, or where a
 * key is absent or out of range, by looking the marker pieces up in the vocabulary. Throws TOKENIZER_BAD_VOCAB naming
 * what is missing when the model has no prefix, suffix or middle marker (it is not a FIM model).
 */
export function fimTokens(tok: Tokenizer, meta?: GgufMetadata): FimTokens {
  const find = (which: keyof typeof PIECES): number | undefined => {
    for (const key of KEYS[which]) {
      const v = meta?.optionalNumber(key);
      if (v !== undefined && Number.isInteger(v) && v >= 0 && v < tok.vocabSize) return v;
    }
    return tok.tokenId(PIECES[which]);
  };
  const prefix = find("prefix");
  const suffix = find("suffix");
  const middle = find("middle");
  if (prefix === undefined || suffix === undefined || middle === undefined) {
    const found = { prefix, suffix, middle };
    const missing = (["prefix", "suffix", "middle"] as const).filter((w) => found[w] === undefined).map((w) => `${PIECES[w]} (${KEYS[w][0]})`);
    throw new GemmaError("TOKENIZER_BAD_VOCAB", `the model has no fill-in-the-middle tokens: missing ${missing.join(", ")}`);
  }
  return { prefix, suffix, middle, separator: find("separator") };
}

/**
 * Prompt ids of an infill, in CodeGemma's prefix-suffix-middle order: `<bos><|fim_prefix|>{prefix}<|fim_suffix|>
 * {suffix}<|fim_middle|>`, no whitespace around the markers. The markers go in as ids; prefix and suffix are
 * plain text, never parsed for control tokens (user-defined pieces still match in text, as in llama.cpp).
 *
 * API use: `model.generate(fimPromptIds(tok, fim, prefix, suffix), { stopTokens: fimStopTokens(tok, fim) })`.
 */
export function fimPromptIds(tok: Tokenizer, fim: FimTokens, prefix: string, suffix: string): number[] {
  const bos = tok.bos >= 0 ? [{ token: tok.bos }] : [];
  return promptIds(tok, [...bos, { token: fim.prefix }, { content: prefix }, { token: fim.suffix }, { content: suffix }, { token: fim.middle }]);
}

/** Ids that end an infill: the file separator, EOS and, defensively, the other FIM markers (gemma-architecture.md §6.2). */
export function fimStopTokens(tok: Tokenizer, fim: FimTokens): number[] {
  const ids = [tok.eos, fim.separator, fim.prefix, fim.suffix, fim.middle].filter((id): id is number => id !== undefined && id >= 0);
  return [...new Set(ids)];
}
