import { open } from "node:fs/promises";
import { openGguf } from "../../formats/gguf/file.js";
import type { GgufFile } from "../../formats/gguf/file.js";
import { type GgufWriteOptions, type GgufWriteTensor, writeGguf } from "../../formats/gguf/writer.js";
import type { GgufEntry } from "../../formats/gguf/value-types.js";
import { GemmaError } from "../../util/errors.js";
import { openFileSource } from "./file-source.js";

/**
 * Opens a local GGUF model; for a split model pass the first shard (`name-00001-of-0000N.gguf`)
 * and the other shards are found beside it.
 */
export function openGgufPath(path: string): Promise<GgufFile> {
  return openGguf(openFileSource, path);
}

/** Writes a GGUF file to `path` (see writeGguf). */
export async function writeGgufPath(
  path: string,
  meta: Iterable<readonly [string, GgufEntry]>,
  tensors: readonly GgufWriteTensor[],
  opts?: GgufWriteOptions,
): Promise<void> {
  let fh;
  try {
    fh = await open(path, "w");
  } catch (e) {
    throw new GemmaError("IO_ERROR", `${path}: cannot create (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
  try {
    const handle = fh;
    await writeGguf(
      async (chunk) => {
        for (let done = 0; done < chunk.length; ) done += (await handle.write(chunk, done)).bytesWritten;
      },
      meta,
      tensors,
      opts,
    );
  } finally {
    await fh.close();
  }
}
