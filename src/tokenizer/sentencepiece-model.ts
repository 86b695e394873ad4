import { ProtobufReader } from "./protobuf-reader.js";
import { PieceType } from "./piece-type.js";

/** The parts of a SentencePiece ModelProto the tokenizer needs (google/sentencepiece:src/sentencepiece_model.proto). */
export interface SentencePieceModel {
  readonly pieces: string[];
  readonly scores: Float32Array;
  /** As stored; validity is the caller's check. */
  readonly types: readonly number[];
  readonly trainer: {
    /** 1 UNIGRAM, 2 BPE, 3 WORD, 4 CHAR. */
    readonly modelType: number;
    readonly byteFallback: boolean;
    readonly treatWhitespaceAsSuffix: boolean;
    readonly unkPiece: string;
    readonly bosPiece: string;
    readonly eosPiece: string;
    readonly padPiece: string;
  };
  readonly normalizer: {
    readonly name: string;
    readonly precompiledCharsmapBytes: number;
    readonly addDummyPrefix: boolean;
    readonly removeExtraWhitespaces: boolean;
    readonly escapeWhitespaces: boolean;
  };
}

// Field numbers from sentencepiece_model.proto.
const MODEL = { PIECES: 1, TRAINER_SPEC: 2, NORMALIZER_SPEC: 3 };
const PIECE = { PIECE: 1, SCORE: 2, TYPE: 3 };
const TRAINER = { MODEL_TYPE: 3, TREAT_WS_AS_SUFFIX: 24, BYTE_FALLBACK: 35, UNK_PIECE: 45, BOS_PIECE: 46, EOS_PIECE: 47, PAD_PIECE: 48 };
const NORMALIZER = { NAME: 1, CHARSMAP: 2, ADD_DUMMY_PREFIX: 3, REMOVE_EXTRA_WS: 4, ESCAPE_WS: 5 };

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Decodes a serialized ModelProto; proto2 defaults fill absent fields. Unknown fields are skipped. */
export function parseSentencePieceModel(bytes: Uint8Array, source: string): SentencePieceModel {
  const r = new ProtobufReader(source, bytes);
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  let trainer: SentencePieceModel["trainer"] = {
    modelType: 1,
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    unkPiece: "<unk>",
    bosPiece: "<s>",
    eosPiece: "</s>",
    padPiece: "<pad>",
  };
  let normalizer: SentencePieceModel["normalizer"] = {
    name: "",
    precompiledCharsmapBytes: 0,
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
  while (r.next()) {
    if (r.field === MODEL.PIECES) {
      const p = r.message();
      let piece = "";
      let score = 0;
      let type: number = PieceType.NORMAL;
      while (p.next()) {
        if (p.field === PIECE.PIECE) piece = p.string();
        else if (p.field === PIECE.SCORE) score = p.float();
        else if (p.field === PIECE.TYPE) type = p.int32();
        else p.skip();
      }
      pieces.push(piece);
      scores.push(score);
      types.push(type);
    } else if (r.field === MODEL.TRAINER_SPEC) {
      trainer = readTrainer(r.message(), trainer);
    } else if (r.field === MODEL.NORMALIZER_SPEC) {
      normalizer = readNormalizer(r.message(), normalizer);
    } else {
      r.skip();
    }
  }
  return { pieces, scores: Float32Array.from(scores), types, trainer, normalizer };
}

function readTrainer(t: ProtobufReader, d: SentencePieceModel["trainer"]): SentencePieceModel["trainer"] {
  const out: Mutable<SentencePieceModel["trainer"]> = { ...d };
  while (t.next()) {
    switch (t.field) {
      case TRAINER.MODEL_TYPE:
        out.modelType = t.int32();
        break;
      case TRAINER.TREAT_WS_AS_SUFFIX:
        out.treatWhitespaceAsSuffix = t.bool();
        break;
      case TRAINER.BYTE_FALLBACK:
        out.byteFallback = t.bool();
        break;
      case TRAINER.UNK_PIECE:
        out.unkPiece = t.string();
        break;
      case TRAINER.BOS_PIECE:
        out.bosPiece = t.string();
        break;
      case TRAINER.EOS_PIECE:
        out.eosPiece = t.string();
        break;
      case TRAINER.PAD_PIECE:
        out.padPiece = t.string();
        break;
      default:
        t.skip();
    }
  }
  return out;
}

function readNormalizer(n: ProtobufReader, d: SentencePieceModel["normalizer"]): SentencePieceModel["normalizer"] {
  const out: Mutable<SentencePieceModel["normalizer"]> = { ...d };
  while (n.next()) {
    switch (n.field) {
      case NORMALIZER.NAME:
        out.name = n.string();
        break;
      case NORMALIZER.CHARSMAP:
        out.precompiledCharsmapBytes = n.bytesField().length;
        break;
      case NORMALIZER.ADD_DUMMY_PREFIX:
        out.addDummyPrefix = n.bool();
        break;
      case NORMALIZER.REMOVE_EXTRA_WS:
        out.removeExtraWhitespaces = n.bool();
        break;
      case NORMALIZER.ESCAPE_WS:
        out.escapeWhitespaces = n.bool();
        break;
      default:
        n.skip();
    }
  }
  return out;
}
