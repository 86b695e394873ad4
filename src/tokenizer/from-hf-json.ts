import { bytePieceName } from "./bpe.js";
import { type HfTokenizerConfig, readHfTokenizerConfig } from "./hf-config.js";
import { JsonFields } from "./json-fields.js";
import { PieceType } from "./piece-type.js";
import { type Tokenizer, createTokenizer } from "./tokenizer.js";
import type { TokenizerVocab } from "./vocab.js";

const SOURCE = "tokenizer.json";

/**
 * The tokenizer described by a Hugging Face tokenizer.json (already JSON-parsed) in the shape Gemma uses
 * (huggingface/transformers:src/transformers/convert_slow_tokenizer.py, GemmaConverter): a BPE model with
 * byte_fallback and a merge list, the normalizer Replace(" " → "▁") (optionally with Prepend("▁")), no
 * pre-tokenizer or a Split on " " (a no-op once spaces are gone), and added tokens matched whole before BPE.
 * Added tokens marked special become control pieces, the others user-defined; the merge list's order is the
 * merge priority. `config` (tokenizer_config.json) supplies bos/eos/unk/pad and add_bos_token; without it they
 * default to `<bos>`, `<eos>`, the model's unk_token, `<pad>`, and a BOS when the post-processor adds one.
 * Other shapes throw TOKENIZER_BAD_JSON naming the unsupported part.
 */
export function tokenizerFromHfJson(json: unknown, config?: unknown): Tokenizer {
  return createTokenizer(vocabFromHfJson(json, config));
}

/** The vocabulary tokenizerFromHfJson builds its tokenizer from (also what a GGUF converter writes). */
export function vocabFromHfJson(json: unknown, config?: unknown): TokenizerVocab {
  const f = new JsonFields(SOURCE);
  const root = f.object(json, "the file");
  const model = f.object(root.model, "model");
  if (model.type !== "BPE") throw f.fail(`model.type ${JSON.stringify(model.type)} is not supported (expected "BPE")`);
  for (const key of ["continuing_subword_prefix", "end_of_word_suffix"]) {
    if (model[key] !== undefined && model[key] !== null && model[key] !== "") throw f.fail(`model.${key} is not supported`);
  }
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) throw f.fail("model.dropout is not supported");
  if (f.optionalBool(model.ignore_merges, "model.ignore_merges") === true) throw f.fail("model.ignore_merges is not supported");
  const addSpacePrefix = readNormalizer(f, root.normalizer);
  checkPreTokenizer(f, root.pre_tokenizer);

  // Pieces: the model vocabulary, then added tokens (which may extend it, like Gemma 3's <image_soft_token>).
  // Ids must run from 0 without gaps, so none can reach the number of entries.
  const vocab = Object.entries(f.object(model.vocab, "model.vocab"));
  const added = root.added_tokens === undefined || root.added_tokens === null ? [] : f.array(root.added_tokens, "added_tokens");
  const limit = vocab.length + added.length;
  const pieces: string[] = [];
  const types: number[] = [];
  const vocabIds = new Map<string, number>();
  for (const [piece, rawId] of vocab) {
    const id = f.id(rawId, `model.vocab["${piece}"]`);
    if (id >= limit) throw f.fail(`model.vocab["${piece}"] is ${id}, which leaves gaps in the ids`);
    if (pieces[id] !== undefined) throw f.fail(`model.vocab gives id ${id} to both "${pieces[id]}" and "${piece}"`);
    pieces[id] = piece;
    types[id] = PieceType.NORMAL;
    vocabIds.set(piece, id);
  }
  const byteFallback = f.optionalBool(model.byte_fallback, "model.byte_fallback") ?? false;
  if (byteFallback) {
    for (let b = 0; b < 256; b++) {
      const id = vocabIds.get(bytePieceName(b));
      if (id !== undefined) types[id] = PieceType.BYTE;
    }
  }
  const unkToken = model.unk_token === null || model.unk_token === undefined ? undefined : f.string(model.unk_token, "model.unk_token");
  readAddedTokens(f, added, limit, pieces, types, unkToken);
  for (let id = 0; id < pieces.length; id++) {
    if (pieces[id] === undefined) throw f.fail(`id ${id} has no piece (ids must run from 0 without gaps)`);
  }

  const cfg: HfTokenizerConfig = config === undefined ? { specialTokens: new Map() } : readHfTokenizerConfig(config, "tokenizer_config.json");
  /** The id of a token the files name (which must exist), else of Gemma's conventional piece (or -1). */
  const special = (named: string | undefined, field: string, conventional: string | undefined): number => {
    if (named === undefined) return conventional === undefined ? -1 : pieces.lastIndexOf(conventional);
    const id = pieces.lastIndexOf(named);
    if (id < 0) throw f.fail(`${field} "${named}" is not in the vocabulary`);
    return id;
  };
  return {
    source: SOURCE,
    pieces,
    types: Uint8Array.from(types),
    merge: { kind: "ranks", merges: readMerges(f, model.merges, vocabIds) },
    bos: special(cfg.bosToken, "bos_token", "<bos>"),
    eos: special(cfg.eosToken, "eos_token", "<eos>"),
    unk: cfg.unkToken !== undefined ? special(cfg.unkToken, "unk_token", undefined) : special(unkToken, "model.unk_token", undefined),
    pad: special(cfg.padToken, "pad_token", "<pad>"),
    addBos: cfg.addBos ?? postProcessorAddsBos(root.post_processor),
    addSpacePrefix,
    matchEscapedText: false,
    byteFallback,
  };
}

/** Replace(" " → "▁"), alone or in a Sequence with Prepend("▁"); returns whether ▁ is prepended. */
function readNormalizer(f: JsonFields, normalizer: unknown): boolean {
  const n = f.object(normalizer, "normalizer");
  const steps = n.type === "Sequence" ? f.array(n.normalizers, "normalizer.normalizers").map((s, i) => f.object(s, `normalizer.normalizers[${i}]`)) : [n];
  let replace = false;
  let prepend = false;
  for (const s of steps) {
    if (s.type === "Replace" && f.object(s.pattern, "normalizer pattern").String === " " && s.content === "\u2581") replace = true;
    else if (s.type === "Prepend" && s.prepend === "\u2581") prepend = true;
    else throw f.fail(`normalizer step ${JSON.stringify(s.type)} is not supported (Gemma uses Replace " " → "▁")`);
  }
  if (!replace) throw f.fail(`the normalizer does not replace " " with "▁"`);
  return prepend;
}

/** None, or Gemma 3's Split on " ", which finds nothing once the normalizer has turned spaces into ▁. */
function checkPreTokenizer(f: JsonFields, pre: unknown): void {
  if (pre === null || pre === undefined) return;
  const p = f.object(pre, "pre_tokenizer");
  if (p.type === "Split" && f.object(p.pattern, "pre_tokenizer.pattern").String === " " && p.invert !== true) return;
  throw f.fail(`pre_tokenizer ${JSON.stringify(p.type)} is not supported (Gemma has none, or a Split on " ")`);
}

function readAddedTokens(f: JsonFields, added: readonly unknown[], limit: number, pieces: string[], types: number[], unkToken: string | undefined): void {
  added.forEach((raw, i) => {
    const path = `added_tokens[${i}]`;
    const t = f.object(raw, path);
    const id = f.id(t.id, `${path}.id`);
    if (id >= limit) throw f.fail(`${path}.id is ${id}, which leaves gaps in the ids`);
    const content = f.string(t.content, `${path}.content`);
    for (const flag of ["lstrip", "rstrip", "single_word"]) {
      if (f.optionalBool(t[flag], `${path}.${flag}`) === true) throw f.fail(`${path} ("${content}") sets ${flag}, which is not supported`);
    }
    // Normalized tokens are matched after " " → "▁", which only differs for contents holding either character.
    if (f.optionalBool(t.normalized, `${path}.normalized`) === true && /[ \u2581]/.test(content)) {
      throw f.fail(`${path} ("${content}") is normalized and contains a space, which is not supported`);
    }
    if (pieces[id] !== undefined && pieces[id] !== content) throw f.fail(`${path} gives id ${id} the content "${content}" but model.vocab has "${pieces[id]}"`);
    pieces[id] = content;
    const special = f.optionalBool(t.special, `${path}.special`) ?? false;
    types[id] = !special ? PieceType.USER_DEFINED : content === unkToken ? PieceType.UNKNOWN : PieceType.CONTROL;
  });
}

/** Merges as "left right" strings or [left, right] pairs → (left, right, result) ids in rank order. */
function readMerges(f: JsonFields, merges: unknown, vocabIds: ReadonlyMap<string, number>): Int32Array {
  const list = f.array(merges, "model.merges");
  const out = new Int32Array(list.length * 3);
  const idOf = (piece: string, i: number): number => {
    const id = vocabIds.get(piece);
    if (id === undefined) throw f.fail(`model.merges[${i}] uses "${piece}", which is not in model.vocab`);
    return id;
  };
  list.forEach((m, i) => {
    let left: string;
    let right: string;
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") {
      [left, right] = m as [string, string];
    } else if (typeof m === "string") {
      const parts = m.split(" ");
      if (parts.length !== 2) throw f.fail(`model.merges[${i}] "${m}" is not two pieces separated by one space`);
      [left, right] = parts as [string, string];
    } else {
      throw f.fail(`model.merges[${i}] is neither "left right" nor a pair of strings`);
    }
    out[3 * i] = idOf(left, i);
    out[3 * i + 1] = idOf(right, i);
    out[3 * i + 2] = idOf(left + right, i);
  });
  return out;
}

/** Whether the TemplateProcessing post-processor puts a special token before the text (Gemma: <bos>). */
function postProcessorAddsBos(post: unknown): boolean {
  if (typeof post !== "object" || post === null) return false;
  const p = post as Record<string, unknown>;
  if (p.type !== "TemplateProcessing" || !Array.isArray(p.single)) return false;
  const first: unknown = p.single[0];
  return typeof first === "object" && first !== null && "SpecialToken" in first;
}
