import { readFileSync } from "node:fs";
import { join } from "node:path";
import { memorySource, type ByteSource } from "../../../src/util/byte-source.js";
import { GemmaError } from "../../../src/util/errors.js";
import { rng } from "../../helpers/rng.js";

export const GOLDEN = join(import.meta.dirname, "../../golden/safetensors");

export function golden(relPath: string): Uint8Array {
  return new Uint8Array(readFileSync(join(GOLDEN, relPath)));
}

/** A memory source that records every read, to prove that readers ask only for what they need. */
export interface CountingSource extends ByteSource {
  readonly bytesRequested: number;
  readonly reads: readonly (readonly [offset: number, length: number])[];
}

export function countingSource(name: string, bytes: Uint8Array): CountingSource {
  const inner = memorySource(name, bytes);
  const reads: [number, number][] = [];
  let requested = 0;
  return {
    name,
    size: bytes.length,
    get bytesRequested() {
      return requested;
    },
    reads,
    read(offset, length) {
      reads.push([offset, length]);
      requested += length;
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
}

/** An opener over in-memory files, FILE_NOT_FOUND for the rest, as openFileSource reports it. */
export function memoryOpener(files: ReadonlyMap<string, Uint8Array>, opened?: CountingSource[]) {
  return async (relPath: string): Promise<ByteSource> => {
    const bytes = files.get(relPath);
    if (bytes === undefined) throw new GemmaError("FILE_NOT_FOUND", `${relPath}: no such file`);
    const source = countingSource(relPath, bytes);
    opened?.push(source);
    return source;
  };
}

/** Builds a safetensors file from a header (object or raw text) and a data section. */
export function buildFile(header: unknown, data: Uint8Array): Uint8Array {
  const text = typeof header === "string" ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

export { rng };
