import { open } from "node:fs/promises";
import { GemmaError } from "../../../util/errors.js";

/** Refuses a file that does not start with the GGUF magic, before a loader spends time on it. */
export async function assertGgufMagic(path: string, display: string): Promise<void> {
  const handle = await open(path, "r");
  const magic = Buffer.alloc(4);
  try {
    await handle.read(magic, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (magic.toString("latin1") !== "GGUF") {
    throw new GemmaError("GGUF_BAD_MAGIC", `${display}: not a GGUF file (byte 0 holds ${JSON.stringify(magic.toString("latin1"))}, expected "GGUF")`);
  }
}
