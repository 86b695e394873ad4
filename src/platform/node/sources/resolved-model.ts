/** Where a model's files are on disk, whatever source it came from. */
export type ResolvedModel =
  /** The first file of a (possibly split) GGUF. */
  | { readonly kind: "gguf"; readonly path: string }
  /** A Hugging Face folder: config.json, *.safetensors (+ index) and tokenizer files. */
  | { readonly kind: "hf-folder"; readonly dir: string };
