/**
 * Every error the library raises on bad input is a GemmaError with a machine-readable `code`.
 * Messages name the problem (and, for files, the file, the field and the byte offset).
 */
export type ErrorCode =
  // files and byte sources
  | "IO_ERROR"
  | "FILE_NOT_FOUND"
  | "TRUNCATED"
  // GGUF
  | "GGUF_BAD_MAGIC"
  | "GGUF_BAD_VERSION"
  | "GGUF_BAD_VALUE_TYPE"
  | "GGUF_BAD_STRING"
  | "GGUF_ABSURD_COUNT"
  | "GGUF_BAD_ALIGNMENT"
  | "GGUF_DUPLICATE_KEY"
  | "GGUF_BAD_TENSOR"
  | "GGUF_TENSOR_OVERLAP"
  | "GGUF_TENSOR_OUT_OF_BOUNDS"
  | "GGUF_BAD_SPLIT"
  | "GGUF_WRITE_ERROR"
  // safetensors / Hugging Face folders
  | "SAFETENSORS_BAD_HEADER"
  | "SAFETENSORS_BAD_TENSOR"
  | "SAFETENSORS_BAD_INDEX"
  | "HF_BAD_CONFIG"
  // tensor types
  | "UNSUPPORTED_TENSOR_TYPE"
  | "BAD_TENSOR_SHAPE"
  // tokenizer
  | "TOKENIZER_BAD_VOCAB"
  | "TOKENIZER_BAD_JSON"
  | "TOKENIZER_BAD_MODEL_PROTO"
  | "TOKENIZER_BAD_TOKEN_ID"
  // model
  | "MODEL_UNSUPPORTED_ARCH"
  | "MODEL_MISSING_KEY"
  | "MODEL_BAD_CONFIG"
  | "MODEL_MISSING_TENSOR"
  | "MODEL_BAD_TENSOR_SHAPE"
  | "MODEL_NOT_EMBEDDING"
  // conversion
  | "CONVERT_NOT_EXPRESSIBLE"
  // engine
  | "CONTEXT_OVERFLOW"
  | "BAD_PROMPT"
  | "BAD_SAMPLING"
  // model sources, cache, downloads
  | "SOURCE_BAD_NAME"
  | "SOURCE_NOT_FOUND"
  | "DOWNLOAD_FAILED"
  | "DOWNLOAD_UNAUTHORIZED"
  | "DOWNLOAD_CHECKSUM"
  | "DOWNLOAD_SIZE"
  | "CACHE_LOCKED"
  | "ARCHIVE_BAD"
  // command line
  | "CLI_BAD_ARGS"
  | "CLI_BAD_INPUT";

export class GemmaError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "GemmaError";
    this.code = code;
  }
}

export function isGemmaError(e: unknown): e is GemmaError {
  return e instanceof GemmaError;
}
