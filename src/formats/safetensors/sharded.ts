import type { ByteSource } from "../../util/byte-source.js";
import { GemmaError, isGemmaError } from "../../util/errors.js";
import { readSafetensors, readTensorBytes } from "./file.js";
import { parseSafetensorsIndex } from "./index-json.js";
import type { FileOpener, SafetensorsFile, SafetensorsTensorInfo, ShardedSafetensors } from "./types.js";

/** Index files list one line per tensor; even the largest checkpoints stay far below this. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/**
 * Opens a sharded checkpoint from its `model.safetensors.index.json` and the shards it names,
 * checking that the index and the shards agree: every mapped tensor is in its shard, and every
 * tensor of a shard is mapped to that shard (a tensor in two shards, or in none, is an error).
 */
export async function openShardedSafetensors(index: ByteSource, opener: FileOpener): Promise<ShardedSafetensors> {
  if (index.size > MAX_INDEX_BYTES) {
    throw new GemmaError("SAFETENSORS_BAD_INDEX", `${index.name}: ${index.size} bytes, over the ${MAX_INDEX_BYTES}-byte limit for an index`);
  }
  const parsed = parseSafetensorsIndex(index.name, await index.read(0, index.size));
  const shards: SafetensorsFile[] = [];
  try {
    for (const path of parsed.shardPaths) {
      const source = await openShard(index.name, path, opener);
      try {
        shards.push(await readSafetensors(source));
      } catch (e) {
        await source.close();
        throw e;
      }
    }
    const tensors: SafetensorsTensorInfo[] = [];
    const byName = new Map<string, SafetensorsTensorInfo>();
    shards.forEach((shard, i) => {
      const path = parsed.shardPaths[i]!;
      for (const t of shard.tensors) {
        const mapped = parsed.weightMap.get(t.name);
        if (mapped !== path) {
          throw new GemmaError(
            "SAFETENSORS_BAD_INDEX",
            mapped === undefined
              ? `${index.name}: shard "${path}" holds tensor "${t.name}", which the weight_map does not list`
              : `${index.name}: tensor "${t.name}" is in shard "${path}" but the weight_map puts it in "${mapped}"`,
          );
        }
        tensors.push(t);
        byName.set(t.name, t);
      }
    });
    for (const [name, path] of parsed.weightMap) {
      if (!byName.has(name)) {
        throw new GemmaError("SAFETENSORS_BAD_INDEX", `${index.name}: the weight_map puts tensor "${name}" in shard "${path}", which does not hold it`);
      }
    }
    return {
      shards,
      shardPaths: parsed.shardPaths,
      declaredTotalSize: parsed.totalSize,
      tensors,
      tensor: (name) => byName.get(name),
      readTensor: (info) => readTensorBytes(info),
      close: () => closeAll(shards),
    };
  } catch (e) {
    await closeAll(shards);
    throw e;
  }
}

async function openShard(indexName: string, path: string, opener: FileOpener): Promise<ByteSource> {
  try {
    return await opener(path);
  } catch (e) {
    if (isGemmaError(e) && e.code === "FILE_NOT_FOUND") {
      throw new GemmaError("SAFETENSORS_BAD_INDEX", `${indexName}: shard "${path}" named in the weight_map does not exist`, { cause: e });
    }
    throw e;
  }
}

async function closeAll(files: readonly SafetensorsFile[]): Promise<void> {
  await Promise.all(files.map((f) => f.close()));
}
