import type { GgufMetadata } from "../formats/gguf/file.js";
import { GemmaError } from "../util/errors.js";
import { PieceType, isPieceType } from "./piece-type.js";
import { type Tokenizer, createTokenizer } from "./tokenizer.js";

/**
 * The tokenizer stored in a GGUF file's `tokenizer.ggml.*` metadata. Only the SentencePiece kind
 * (`tokenizer.ggml.model` = "llama", which every Gemma GGUF uses) is supported. Absent keys take llama.cpp's
 * defaults for that kind (ggml-org/llama.cpp:src/llama-vocab.cpp, `load`): scores 0, type NORMAL, bos 1, eos 2,
 * unk 0, no pad, add_bos_token and add_space_prefix true; Gemma files set all of them.
 * `source` names the file in error messages.
 */
export function tokenizerFromGguf(meta: GgufMetadata, source = "GGUF metadata"): Tokenizer {
  const kind = meta.string("tokenizer.ggml.model");
  if (kind === "gpt2") {
    throw new GemmaError("TOKENIZER_BAD_VOCAB", `${source}: tokenizer.ggml.model "gpt2" (byte-level BPE with merges) is not supported yet; Gemma files use "llama"`);
  }
  if (kind !== "llama") throw new GemmaError("TOKENIZER_BAD_VOCAB", `${source}: tokenizer.ggml.model "${kind}" is not supported (expected "llama")`);

  const pieces = meta.stringArray("tokenizer.ggml.tokens");
  const n = pieces.length;
  const sized = <T extends { length: number }>(key: string, a: T | undefined): T | undefined => {
    if (a !== undefined && a.length !== n) throw new GemmaError("TOKENIZER_BAD_VOCAB", `${source}: ${key} has ${a.length} entries for ${n} tokens`);
    return a;
  };
  const scores = sized("tokenizer.ggml.scores", meta.optionalFloat32Array("tokenizer.ggml.scores")) ?? new Float32Array(n);
  const rawTypes = sized("tokenizer.ggml.token_type", meta.optionalInt32Array("tokenizer.ggml.token_type"));
  const types = new Uint8Array(n).fill(PieceType.NORMAL);
  if (rawTypes !== undefined) {
    rawTypes.forEach((t, i) => {
      if (!isPieceType(t)) throw new GemmaError("TOKENIZER_BAD_VOCAB", `${source}: tokenizer.ggml.token_type[${i}] is ${t}, not a token type (1..6)`);
      types[i] = t;
    });
  }
  // As llama.cpp: an out-of-range default means none, an out-of-range stored id keeps the default.
  const inRange = (v: number | undefined): v is number => v !== undefined && Number.isInteger(v) && v >= 0 && v < n;
  const id = (key: string, fallback: number): number => {
    const v = meta.optionalNumber(`tokenizer.ggml.${key}`);
    return inRange(v) ? v : inRange(fallback) ? fallback : -1;
  };
  return createTokenizer({
    source,
    pieces,
    types,
    merge: { kind: "scores", scores },
    bos: id("bos_token_id", 1),
    eos: id("eos_token_id", 2),
    unk: id("unknown_token_id", 0),
    pad: id("padding_token_id", -1),
    addBos: meta.optionalBool("tokenizer.ggml.add_bos_token") ?? true,
    addSpacePrefix: meta.optionalBool("tokenizer.ggml.add_space_prefix") ?? true,
    matchEscapedText: false,
    byteFallback: true,
  });
}
