import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ggufValue } from "../../src/formats/gguf/index.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";

export const TINY_GEMMA = "test/fixtures/tiny/gemma.gguf";
/** Word pieces of the tiny vocabulary (test/fixtures/tiny/README.md) standing in for the FIM markers. */
export const PRE = 289; // ▁cat
export const SUF = 290; // ▁sat
export const MID = 291; // ▁on
export const SEP = 292; // ▁mat

/** The tiny Gemma with FIM key ids in llama.cpp's current ("fim_pre") or older ("prefix") spelling. */
export async function tinyWithFimKeys(spelling: "current" | "older"): Promise<string> {
  const keys =
    spelling === "current"
      ? { fim_pre_token_id: PRE, fim_suf_token_id: SUF, fim_mid_token_id: MID, fim_sep_token_id: SEP }
      : { prefix_token_id: PRE, suffix_token_id: SUF, middle_token_id: MID };
  const src = await openGgufPath(TINY_GEMMA);
  const path = join(mkdtempSync(join(tmpdir(), "gemma-fim-")), `tiny-fim-${spelling}.gguf`);
  try {
    const meta = [...src.metadata.entries(), ...Object.entries(keys).map(([k, v]) => [`tokenizer.ggml.${k}`, ggufValue.u32(v)] as const)];
    const tensors = src.tensors.map((t) => ({ name: t.name, dims: t.dims, type: t.type, data: () => src.readTensor(t) }));
    await writeGgufPath(path, meta, tensors);
  } finally {
    await src.close();
  }
  return path;
}
