import { GemmaError } from "../util/errors.js";
import { BpeEncoder } from "./bpe.js";
import { PieceDecoder } from "./piece-decoder.js";
import { PieceType, isSpecialType } from "./piece-type.js";
import { SpecialMatcher } from "./special-matcher.js";
import { type TokenizerVocab, checkVocab } from "./vocab.js";

export interface EncodeOptions {
  /**
   * true: every control, unknown and user-defined piece written in the text (`<start_of_turn>`, `<bos>`,
   * `<unused0>`, whitespace runs …) becomes its id, leftmost and longest first. This is what the Hugging Face
   * tokenizer's `encode` does (it splits out every added token) and llama.cpp's tokenize(parse_special = true).
   *
   * false (default, safe for message content): control and unknown pieces are plain text (`"<bos>"` encodes as
   * `<`, `bos`, `>`), user-defined pieces still match whole: SentencePiece's own behaviour and llama.cpp's
   * tokenize(parse_special = false). Which pieces are control comes from the file: GGUF token_type 3 (in Gemma 3:
   * `<bos>` `<eos>` `<pad>` `<mask>` `<start_of_turn>` `<end_of_turn>` `<unusedN>`), tokenizer.json added tokens
   * with `special: true`, SentencePiece CONTROL pieces plus the special tokens of a tokenizer_config.json.
   */
  readonly parseSpecial?: boolean;
  /** Put the BOS id first (default false: prompts get one BOS, added by whoever builds them). */
  readonly addBos?: boolean;
}

export interface DecodeOptions {
  /** Decode control and unknown pieces to their text instead of "". */
  readonly keepSpecial?: boolean;
}

export interface StreamDecoder {
  /** Text completed by this id (possibly ""); bytes of an unfinished UTF-8 character are held back. */
  push(id: number): string;
  /** Whatever is held back, as decode() would render it. */
  flush(): string;
}

export interface Tokenizer {
  readonly vocabSize: number;
  /** Special ids; -1 when the vocabulary has none. */
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  readonly pad: number;
  /** Whether the model wants a BOS at the start of a prompt. */
  readonly addBos: boolean;
  tokenId(piece: string): number | undefined;
  piece(id: number): string;
  /** Control or unknown piece: never produced from plain text, decoded to "" by default. */
  isControl(id: number): boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  streamDecoder(opts?: DecodeOptions): StreamDecoder;
}

/** A tokenizer over any vocabulary (the file readers build the TokenizerVocab). */
export function createTokenizer(vocab: TokenizerVocab): Tokenizer {
  checkVocab(vocab);
  return new SentencePieceTokenizer(vocab);
}

class SentencePieceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  readonly pad: number;
  readonly addBos: boolean;
  private readonly source: string;
  private readonly pieces: readonly string[];
  private readonly types: Uint8Array;
  private readonly addSpacePrefix: boolean;
  private readonly matchEscapedText: boolean;
  private readonly pieceIds = new Map<string, number>();
  private readonly userDefined: SpecialMatcher;
  private readonly special: SpecialMatcher;
  private readonly bpe: BpeEncoder;
  private readonly decoder: PieceDecoder;

  constructor(v: TokenizerVocab) {
    this.source = v.source;
    this.pieces = v.pieces;
    this.types = v.types;
    this.vocabSize = v.pieces.length;
    this.bos = v.bos;
    this.eos = v.eos;
    this.unk = v.unk;
    this.pad = v.pad;
    this.addBos = v.addBos;
    this.addSpacePrefix = v.addSpacePrefix;
    this.matchEscapedText = v.matchEscapedText;
    // A repeated piece resolves to its last id, as llama.cpp's token_to_id and a JSON object do.
    v.pieces.forEach((p, id) => this.pieceIds.set(p, id));
    const withTypes = function* (keep: (t: number) => boolean): Generator<readonly [string, number]> {
      for (let id = 0; id < v.pieces.length; id++) if (keep(v.types[id]!)) yield [v.pieces[id]!, id];
    };
    this.userDefined = new SpecialMatcher(withTypes((t) => t === PieceType.USER_DEFINED));
    this.special = new SpecialMatcher(withTypes((t) => t === PieceType.USER_DEFINED || isSpecialType(t)));
    this.bpe = new BpeEncoder(v, this.pieceIds);
    this.decoder = new PieceDecoder(v.source, v.pieces, v.types);
  }

  tokenId(piece: string): number | undefined {
    return this.pieceIds.get(piece);
  }

  piece(id: number): string {
    return this.pieces[this.decoder.check(id)]!;
  }

  isControl(id: number): boolean {
    return isSpecialType(this.types[this.decoder.check(id)]!);
  }

  encode(input: string, opts?: EncodeOptions): number[] {
    // BPE escapes spaces itself; escaping first only changes what the special-piece matcher sees.
    const text = this.matchEscapedText ? input.replaceAll(" ", "\u2581") : input;
    const out: number[] = [];
    if (opts?.addBos === true) {
      if (this.bos < 0) throw new GemmaError("TOKENIZER_BAD_VOCAB", `${this.source}: a BOS was asked for but the vocabulary has none`);
      out.push(this.bos);
    }
    const matcher = opts?.parseSpecial === true ? this.special : this.userDefined;
    let pos = 0;
    while (pos < text.length) {
      const at = matcher.empty ? -1 : matcher.find(text, pos);
      const end = at < 0 ? text.length : at;
      if (end > pos) this.bpe.encode(text, pos, end, this.addSpacePrefix, out);
      if (at < 0) break;
      out.push(matcher.matchId);
      pos = matcher.matchEnd;
    }
    return out;
  }

  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string {
    return this.decoder.decode(ids, opts?.keepSpecial === true);
  }

  streamDecoder(opts?: DecodeOptions): StreamDecoder {
    return this.decoder.stream(opts?.keepSpecial === true);
  }
}
