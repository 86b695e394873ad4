export type { DecodeOptions, EncodeOptions, StreamDecoder, Tokenizer } from "./tokenizer.js";
export { createTokenizer } from "./tokenizer.js";
export type { MergeRule, TokenizerVocab } from "./vocab.js";
export { PieceType } from "./piece-type.js";
export { tokenizerFromGguf } from "./from-gguf.js";
export { tokenizerFromHfJson, vocabFromHfJson } from "./from-hf-json.js";
export { tokenizerFromSentencePiece, vocabFromSentencePiece } from "./from-sentencepiece.js";
