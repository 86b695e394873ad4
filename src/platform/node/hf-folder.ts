import { stat } from "node:fs/promises";
import { join } from "node:path";
import { openHfFolder, type HfFolder } from "../../formats/hf/folder.js";
import { GemmaError } from "../../util/errors.js";
import { openFileSource } from "./file-source.js";

/**
 * Opens a local Hugging Face model folder. Relative paths come from the folder reader, which only
 * asks for fixed names and for shard names the index check has already confined to the folder.
 */
export async function openHfFolderPath(dir: string): Promise<HfFolder> {
  const info = await stat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw new GemmaError("FILE_NOT_FOUND", `${dir}: no such folder`, { cause: e });
    throw new GemmaError("IO_ERROR", `${dir}: cannot read (${e.code ?? String(e)})`, { cause: e });
  });
  if (!info.isDirectory()) throw new GemmaError("IO_ERROR", `${dir}: not a folder`);
  return openHfFolder(
    (relPath) => openFileSource(join(dir, relPath)),
    async (relPath) => (await stat(join(dir, relPath)).catch(() => undefined))?.isFile() === true,
  );
}
