/**
 * Index (1-based) and count of a split GGUF shard from its name, `<prefix>-00002-of-00003.gguf`
 * (the naming of ggml-org/llama.cpp:src/llama.cpp, llama_split_path); undefined for other names.
 * Complements formats/gguf/split.ts's shardName, which builds such names.
 */
export function parseShardName(name: string): { readonly index: number; readonly count: number } | undefined {
  const m = /-(\d{5})-of-(\d{5})\.gguf$/.exec(name);
  return m ? { index: Number(m[1]), count: Number(m[2]) } : undefined;
}
