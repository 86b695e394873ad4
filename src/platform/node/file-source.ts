import { open } from "node:fs/promises";
import { checkRange, type ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";

/** A ByteSource over a local file, read with positioned reads (no whole-file buffer). */
export async function openFileSource(path: string): Promise<ByteSource> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new GemmaError("FILE_NOT_FOUND", `${path}: no such file`, { cause: e });
    throw new GemmaError("IO_ERROR", `${path}: cannot open (${code ?? String(e)})`, { cause: e });
  }
  const { size } = await handle.stat();
  const fh = handle;
  const source: ByteSource = {
    name: path,
    size,
    async read(offset, length) {
      checkRange(source, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw new GemmaError("TRUNCATED", `${path}: file ended at ${offset + done} while reading ${length} bytes at ${offset}`);
        }
        done += bytesRead;
      }
      return out;
    },
    async close() {
      await fh.close();
    },
  };
  return source;
}
