import { ggufArray, ggufValue } from "../../formats/gguf/value-builders.js";
import type { GgufEntry } from "../../formats/gguf/value-types.js";
import { PieceType, type TokenizerVocab } from "../../tokenizer/index.js";
import { GemmaError } from "../../util/errors.js";

type Entry = readonly [string, GgufEntry];

export interface GgufVocabOptions {
  /** Tokens kept: the first `size` ids (the rows of the converted embedding). */
  readonly size: number;
  /** tokenizer_config.json's add_eos_token (Gemma: false). */
  readonly addEos: boolean;
  readonly chatTemplate: string | undefined;
}

/**
 * The `tokenizer.*` metadata of llama.cpp's SentencePiece vocabulary ("llama", ggml-org/llama.cpp:src/llama-vocab.cpp)
 * for `v`: pieces, scores, token types, special ids, add_bos/add_eos/add_space_prefix and the chat template,
 * the keys convert_hf_to_gguf.py's _set_vocab_sentencepiece writes for Gemma.
 *
 * llama.cpp merges the adjacent pair whose concatenation has the highest score. A tokenizer.model carries those
 * scores. A tokenizer.json carries a ranked merge list instead; each piece then scores minus the rank of the
 * first merge that makes it, so the highest score is the lowest rank, and pieces no merge makes score below all
 * of them (for Gemma's tokenizer.json, converted from its SentencePiece model with every possible merge listed,
 * both orders agree). llama.cpp merges into any piece of the vocabulary, so a tokenizer.json that leaves out the
 * merge making an ordinary piece from two others tokenizes differently there, and is refused.
 *
 * Token types and special ids are the tokenizer files' own: tokenizer.json's added tokens that are not special
 * (Gemma 3's <unusedN>) stay user-defined, matched in text as transformers matches them, where convert_hf_to_gguf.py
 * reads them from the SentencePiece model as control tokens; eos is tokenizer_config.json's eos_token.
 */
export function ggufVocabulary(v: TokenizerVocab, o: GgufVocabOptions): Entry[] {
  const n = o.size;
  // llama.cpp matches user-defined pieces in the raw text; a SentencePiece model matches them after spaces became
  // ▁, so its "▁▁" is stored as two spaces (as convert_hf_to_gguf.py stores Gemma's whitespace pieces).
  const pieces = v.pieces.slice(0, n).map((p, id) => (v.matchEscapedText && v.types[id] === PieceType.USER_DEFINED ? p.replaceAll("\u2581", " ") : p));
  const types = Array.from(v.types.subarray(0, n));
  const scores = v.merge.kind === "scores" ? v.merge.scores.subarray(0, n) : scoresFromRanks(v, v.merge.merges, n);
  const entries: Entry[] = [
    ["tokenizer.ggml.model", ggufValue.string("llama")],
    ["tokenizer.ggml.tokens", ggufValue.array(ggufArray.string(pieces))],
    ["tokenizer.ggml.scores", ggufValue.array(ggufArray.f32(scores))],
    ["tokenizer.ggml.token_type", ggufValue.array(ggufArray.i32(types))],
  ];
  for (const [key, id] of [
    ["bos_token_id", v.bos],
    ["eos_token_id", v.eos],
    ["unknown_token_id", v.unk],
    ["padding_token_id", v.pad],
  ] as const) {
    if (id >= 0 && id < n) entries.push([`tokenizer.ggml.${key}`, ggufValue.u32(id)]);
  }
  entries.push(
    ["tokenizer.ggml.add_bos_token", ggufValue.bool(v.addBos)],
    ["tokenizer.ggml.add_eos_token", ggufValue.bool(o.addEos)],
    ["tokenizer.ggml.add_space_prefix", ggufValue.bool(v.addSpacePrefix)],
  );
  if (o.chatTemplate !== undefined) entries.push(["tokenizer.chat_template", ggufValue.string(o.chatTemplate)]);
  return entries;
}

function scoresFromRanks(v: TokenizerVocab, merges: Int32Array, n: number): Float32Array {
  const ranks = merges.length / 3;
  const unmade = -(ranks + 1);
  const scores = new Float32Array(n).fill(unmade);
  for (let r = ranks - 1; r >= 0; r--) {
    const made = merges[3 * r + 2]!;
    if (made < n) scores[made] = -r;
  }
  const ids = new Map(v.pieces.map((p, id) => [p, id]));
  for (let id = 0; id < n; id++) {
    if (scores[id] !== unmade || v.types[id] !== PieceType.NORMAL) continue;
    const p = v.pieces[id]!;
    for (let cut = 1; cut < p.length; cut++) {
      if (ids.has(p.slice(0, cut)) && ids.has(p.slice(cut))) {
        throw new GemmaError(
          "TOKENIZER_BAD_VOCAB",
          `${v.source}: cannot convert to GGUF: no merge makes piece ${id} (${JSON.stringify(p)}) from ${JSON.stringify(p.slice(0, cut))} and ${JSON.stringify(p.slice(cut))}, but llama.cpp's SentencePiece tokenizer merges any two pieces whose concatenation is a piece, so it would tokenize differently`,
        );
      }
    }
  }
  return scores;
}
