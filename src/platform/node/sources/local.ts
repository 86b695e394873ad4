import { stat } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { shardName } from "../../../formats/gguf/split.js";
import { GemmaError } from "../../../util/errors.js";
import { assertGgufMagic } from "./gguf-magic.js";
import type { ResolvedModel } from "./resolved-model.js";
import { parseShardName } from "./shard-name.js";

function expandHome(path: string): string {
  return path === "~" || path.startsWith("~/") ? join(homedir(), path.slice(1)) : path;
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw new GemmaError("IO_ERROR", `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { cause: e });
  }
}

/**
 * A model on disk: a GGUF file (any shard of a split GGUF resolves to its first shard, the one a
 * loader opens) or a Hugging Face folder with config.json.
 */
export async function resolveLocalPath(input: string, notFoundHint: string): Promise<ResolvedModel> {
  const path = expandHome(input);
  const info = await statOrUndefined(path);
  if (!info) throw new GemmaError("SOURCE_NOT_FOUND", `${input}: no such file or folder${notFoundHint}`);
  if (info.isDirectory()) {
    if (!(await statOrUndefined(join(path, "config.json")))?.isFile()) {
      throw new GemmaError("SOURCE_NOT_FOUND", `${input}: the folder has no config.json (a Hugging Face model folder is expected)`);
    }
    return { kind: "hf-folder", dir: path };
  }
  const split = parseShardName(basename(path));
  const firstName = split && split.index !== 1 ? shardName(basename(path), 0, split.count) : undefined;
  const first = firstName ? join(dirname(path), firstName) : path;
  if (first !== path && !(await statOrUndefined(first))) {
    throw new GemmaError("SOURCE_NOT_FOUND", `${input}: a shard of a split GGUF, but its first shard ${first} is missing`);
  }
  await assertGgufMagic(first, first);
  return { kind: "gguf", path: first };
}
