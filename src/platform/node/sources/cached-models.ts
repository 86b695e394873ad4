import { listRecords, removeRecord, toResolved, type CacheRecord } from "./cache-records.js";
import { gemmaHome } from "./home.js";

/** A model in the cache, as `gemma list` shows it. */
export interface CachedModel {
  readonly name: string;
  readonly kind: CacheRecord["kind"];
  /** The GGUF to open (first shard) or the Hugging Face folder. */
  readonly path: string;
  /** Bytes of all its files. */
  readonly size: number;
  readonly source: string;
  readonly pulledAt: string;
}

function describe(home: string, r: CacheRecord): CachedModel {
  const resolved = toResolved(home, r);
  return {
    name: r.name,
    kind: r.kind,
    path: resolved.kind === "gguf" ? resolved.path : resolved.dir,
    size: r.files.reduce((sum, f) => sum + f.size, 0),
    source: r.source,
    pulledAt: r.pulledAt,
  };
}

export async function listCachedModels(home: string = gemmaHome()): Promise<CachedModel[]> {
  return (await listRecords(home)).map((r) => describe(home, r));
}

/** Deletes a pulled model (see removeRecord); `name` as `gemma list` shows it. */
export async function removeCachedModel(name: string, home: string = gemmaHome()): Promise<CachedModel> {
  return describe(home, await removeRecord(home, name));
}
