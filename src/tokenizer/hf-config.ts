import { JsonFields } from "./json-fields.js";

/** What a Hugging Face tokenizer_config.json adds to a vocabulary. */
export interface HfTokenizerConfig {
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly unkToken?: string;
  readonly padToken?: string;
  readonly addBos?: boolean;
  /** added_tokens_decoder entries with `special: true`: id → content. */
  readonly specialTokens: ReadonlyMap<number, string>;
}

export function readHfTokenizerConfig(config: unknown, source: string): HfTokenizerConfig {
  const f = new JsonFields(source);
  const c = f.object(config, "tokenizer_config.json");
  const specialTokens = new Map<number, string>();
  if (c.added_tokens_decoder !== undefined && c.added_tokens_decoder !== null) {
    for (const [key, value] of Object.entries(f.object(c.added_tokens_decoder, "added_tokens_decoder"))) {
      const path = `added_tokens_decoder["${key}"]`;
      const id = Number(key);
      if (!Number.isSafeInteger(id) || id < 0 || String(id) !== key) throw f.fail(`${path}: the key is not a token id`);
      const t = f.object(value, path);
      if (f.optionalBool(t.special, `${path}.special`) === true) specialTokens.set(id, f.string(t.content, `${path}.content`));
    }
  }
  return {
    bosToken: f.optionalToken(c.bos_token, "bos_token"),
    eosToken: f.optionalToken(c.eos_token, "eos_token"),
    unkToken: f.optionalToken(c.unk_token, "unk_token"),
    padToken: f.optionalToken(c.pad_token, "pad_token"),
    addBos: f.optionalBool(c.add_bos_token, "add_bos_token"),
    specialTokens,
  };
}
