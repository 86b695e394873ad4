import { GemmaError } from "../util/errors.js";
import { readHfTokenizerConfig } from "./hf-config.js";
import { PieceType, isPieceType } from "./piece-type.js";
import { parseSentencePieceModel } from "./sentencepiece-model.js";
import { type Tokenizer, createTokenizer } from "./tokenizer.js";
import type { TokenizerVocab } from "./vocab.js";

const SOURCE = "tokenizer.model";

/**
 * The tokenizer in a SentencePiece model file (serialized ModelProto), with SentencePiece's semantics: BPE over
 * piece scores, user-defined pieces matched whole (after spaces become ▁), control pieces never produced from
 * text unless parseSpecial asks, merges into UNUSED pieces re-split. Only what Gemma uses is supported: BPE, no
 * normalization rules, no dummy prefix, no whitespace collapsing; anything else throws
 * TOKENIZER_BAD_MODEL_PROTO, as do the files SentencePiece itself refuses (empty or repeated pieces, not
 * exactly one unknown piece, byte pieces without byte_fallback or an incomplete set of them).
 *
 * `config` (a Hugging Face tokenizer_config.json) makes its `special` added tokens control pieces (Gemma's
 * `.model` has `<start_of_turn>` as user-defined; as a control piece it is not matched in message content) and
 * names bos/eos/unk/pad; its added tokens beyond the model's pieces are ignored. Without it, bos/eos/pad are the
 * trainer's bos/eos/pad pieces when they are control pieces (as SentencePiece's bos_id()), and a BOS is expected
 * whenever there is one.
 */
export function tokenizerFromSentencePiece(bytes: Uint8Array, config?: unknown): Tokenizer {
  return createTokenizer(vocabFromSentencePiece(bytes, config));
}

/** The vocabulary tokenizerFromSentencePiece builds its tokenizer from (also what a GGUF converter writes). */
export function vocabFromSentencePiece(bytes: Uint8Array, config?: unknown): TokenizerVocab {
  const m = parseSentencePieceModel(bytes, SOURCE);
  const bad = (what: string) => new GemmaError("TOKENIZER_BAD_MODEL_PROTO", `${SOURCE}: ${what}`);
  if (m.trainer.modelType !== 2) throw bad(`model_type ${m.trainer.modelType} is not supported (only BPE, 2)`);
  const nz = m.normalizer;
  if (nz.precompiledCharsmapBytes > 0) throw bad(`normalizer "${nz.name}" has normalization rules, which are not supported`);
  if (nz.addDummyPrefix) throw bad("add_dummy_prefix is not supported");
  if (nz.removeExtraWhitespaces) throw bad("remove_extra_whitespaces is not supported");
  if (!nz.escapeWhitespaces) throw bad("escape_whitespaces false is not supported");
  if (m.trainer.treatWhitespaceAsSuffix) throw bad("treat_whitespace_as_suffix is not supported");

  const n = m.pieces.length;
  const types = new Uint8Array(n);
  const ids = new Map<string, number>();
  let unk = -1;
  let bytePieces = 0;
  for (let i = 0; i < n; i++) {
    const piece = m.pieces[i]!;
    const t = m.types[i]!;
    if (piece === "") throw bad(`piece ${i} is empty`);
    if (!isPieceType(t)) throw bad(`piece ${i} ("${piece}") has unknown type ${t}`);
    if (ids.has(piece)) throw bad(`piece ${i} ("${piece}") repeats piece ${ids.get(piece)}`);
    ids.set(piece, i);
    types[i] = t;
    if (t === PieceType.UNKNOWN) {
      if (unk >= 0) throw bad(`pieces ${unk} and ${i} are both the unknown piece`);
      unk = i;
    } else if (t === PieceType.BYTE) {
      if (!m.trainer.byteFallback) throw bad(`piece ${i} ("${piece}") is a byte piece but byte_fallback is off`);
      if (!/^<0x[0-9A-F]{2}>$/.test(piece)) throw bad(`byte piece ${i} is "${piece}", expected <0xNN>`);
      bytePieces++;
    }
  }
  if (unk < 0) throw bad("there is no unknown piece");
  if (m.trainer.byteFallback && bytePieces !== 256) throw bad(`byte_fallback is on but there are ${bytePieces} byte pieces, not 256`);

  const cfg = config === undefined ? undefined : readHfTokenizerConfig(config, "tokenizer_config.json");
  for (const [id, content] of cfg?.specialTokens ?? []) {
    if (id >= n) continue;
    if (m.pieces[id] !== content) throw new GemmaError("TOKENIZER_BAD_JSON", `tokenizer_config.json: added token ${id} is "${content}" but ${SOURCE} has "${m.pieces[id]}"`);
    if (types[id] === PieceType.NORMAL || types[id] === PieceType.USER_DEFINED) types[id] = PieceType.CONTROL;
  }
  const named = (token: string | undefined, field: string): number | undefined => {
    if (token === undefined) return undefined;
    const id = ids.get(token);
    if (id === undefined) throw new GemmaError("TOKENIZER_BAD_JSON", `tokenizer_config.json: ${field} "${token}" is not in ${SOURCE}`);
    return id;
  };
  const control = (piece: string): number => {
    const id = ids.get(piece);
    return id !== undefined && types[id] === PieceType.CONTROL ? id : -1;
  };
  const bos = named(cfg?.bosToken, "bos_token") ?? control(m.trainer.bosPiece);
  return {
    source: SOURCE,
    pieces: m.pieces,
    types,
    merge: { kind: "scores", scores: m.scores },
    bos,
    eos: named(cfg?.eosToken, "eos_token") ?? control(m.trainer.eosPiece),
    unk: named(cfg?.unkToken, "unk_token") ?? unk,
    pad: named(cfg?.padToken, "pad_token") ?? control(m.trainer.padPiece),
    addBos: cfg?.addBos ?? bos >= 0,
    addSpacePrefix: false,
    matchEscapedText: true,
    byteFallback: m.trainer.byteFallback,
  };
}
