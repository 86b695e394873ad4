import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError } from "../../util/errors.js";
import type { GgufFile, GgufTensorInfo } from "./file.js";
import { makeFile, readGguf } from "./reader.js";

export const SPLIT_NO_KEY = "split.no";
export const SPLIT_COUNT_KEY = "split.count";
export const SPLIT_TENSORS_COUNT_KEY = "split.tensors.count";

/** `<prefix>-00001-of-00003.gguf`, numbered from 1 (ggml-org/llama.cpp:src/llama.cpp, llama_split_path). */
const SHARD_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/;

/** The name of shard `index` (0-based) of `count` next to `name`, which must itself be a shard name. */
export function shardName(name: string, index: number, count: number): string | undefined {
  const m = SHARD_NAME.exec(name);
  if (!m) return undefined;
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${m[1]}-${pad(index + 1)}-of-${pad(count)}.gguf`;
}

/**
 * Opens a GGUF model that may be split into shards. `firstName` is the file (or first shard) and
 * `open` opens any sibling by name. A split model is read from every shard: each shard's split.no
 * must be its position, split.count (where present) the same, and split.tensors.count on the first
 * shard the total. Metadata comes from the first shard; each tensor keeps its own shard's source.
 */
export async function openGguf(open: (name: string) => Promise<ByteSource>, firstName: string): Promise<GgufFile> {
  const first = await readOpened(open, firstName);
  const count = first.metadata.optionalNumber(SPLIT_COUNT_KEY) ?? 1;
  const no = first.metadata.optionalNumber(SPLIT_NO_KEY) ?? 0;
  const shards: GgufFile[] = [first];
  try {
    if (!Number.isInteger(count) || count < 1 || count > 99999) {
      throw new GemmaError("GGUF_BAD_SPLIT", `${firstName}: ${SPLIT_COUNT_KEY} is ${count}, expected 1..99999`);
    }
    if (count === 1 && no === 0) {
      checkTensorCount(firstName, shards);
      return first;
    }
    if (no !== 0) {
      const hint = shardName(firstName, 0, count);
      throw new GemmaError(
        "GGUF_BAD_SPLIT",
        `${firstName}: this is shard ${SPLIT_NO_KEY}=${no}; open the first shard${hint ? ` (${hint})` : ""} instead`,
      );
    }
    if (shardName(firstName, 0, count) !== firstName) {
      throw new GemmaError(
        "GGUF_BAD_SPLIT",
        `${firstName}: ${SPLIT_COUNT_KEY} is ${count} but the name does not end in -00001-of-${String(count).padStart(5, "0")}.gguf, so its shards cannot be found`,
      );
    }
    for (let i = 1; i < count; i++) {
      const name = shardName(firstName, i, count)!;
      const shard = await readOpened(open, name);
      shards.push(shard);
      const shardNo = shard.metadata.optionalNumber(SPLIT_NO_KEY);
      if (shardNo !== i) throw new GemmaError("GGUF_BAD_SPLIT", `${name}: ${SPLIT_NO_KEY} is ${shardNo ?? "missing"}, expected ${i}`);
      const shardCount = shard.metadata.optionalNumber(SPLIT_COUNT_KEY);
      if (shardCount !== undefined && shardCount !== count) {
        throw new GemmaError("GGUF_BAD_SPLIT", `${name}: ${SPLIT_COUNT_KEY} is ${shardCount}, but the first shard says ${count}`);
      }
    }
    return merge(firstName, shards);
  } catch (e) {
    for (const s of shards) await s.close();
    throw e;
  }
}

/**
 * split.tensors.count on the first shard must match the tensors found: required for a split model,
 * checked whenever present on a single file (a damaged split.count would otherwise hide shards).
 */
function checkTensorCount(name: string, shards: readonly GgufFile[]): void {
  const declared = shards[0]!.metadata.optionalNumber(SPLIT_TENSORS_COUNT_KEY);
  const found = shards.reduce((n, s) => n + s.tensors.length, 0);
  if (declared === undefined ? shards.length > 1 : declared !== found) {
    throw new GemmaError(
      "GGUF_BAD_SPLIT",
      `${name}: ${SPLIT_TENSORS_COUNT_KEY} is ${declared ?? "missing"} but the ${shards.length} shard(s) hold ${found} tensors`,
    );
  }
}

/** Reads a file this module opened, closing it again if it does not parse. */
async function readOpened(open: (name: string) => Promise<ByteSource>, name: string): Promise<GgufFile> {
  const source = await open(name);
  try {
    return await readGguf(source);
  } catch (e) {
    await source.close();
    throw e;
  }
}

function merge(name: string, shards: readonly GgufFile[]): GgufFile {
  const first = shards[0]!;
  const tensors: GgufTensorInfo[] = [];
  const owner = new Map<string, string>();
  for (const shard of shards) {
    for (const t of shard.tensors) {
      const other = owner.get(t.name);
      if (other !== undefined) {
        throw new GemmaError("GGUF_DUPLICATE_KEY", `${shard.name}: tensor "${t.name}" is also in ${other}`);
      }
      owner.set(t.name, shard.name);
      tensors.push(t);
    }
  }
  checkTensorCount(name, shards);
  return makeFile(name, first.version, first.alignment, first.dataOffset, first.metadata, tensors, async () => {
    for (const s of shards) await s.close();
  });
}
