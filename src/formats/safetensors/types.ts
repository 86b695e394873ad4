import type { ByteSource } from "../../util/byte-source.js";

/** One tensor of a safetensors file, located in absolute file offsets. */
export interface SafetensorsTensorInfo {
  readonly name: string;
  /** The header's dtype name (F32, BF16, I64 …); see dtypes.ts for which ones can be computed with. */
  readonly dtype: string;
  /** Dimensions as stored, outermost first (row-major, C order). */
  readonly shape: readonly number[];
  readonly byteSize: number;
  /** Absolute byte offset of the first element in `source`. */
  readonly offset: number;
  readonly source: ByteSource;
}

/** Tensors read on demand from one or more safetensors files. */
export interface SafetensorsCollection {
  /** In file order (by offset), file after file. */
  readonly tensors: readonly SafetensorsTensorInfo[];
  tensor(name: string): SafetensorsTensorInfo | undefined;
  /** The tensor's bytes (little-endian elements); may be a view into memory the source already holds. */
  readTensor(info: SafetensorsTensorInfo): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface SafetensorsFile extends SafetensorsCollection {
  readonly source: ByteSource;
  /** The header's `__metadata__` map, or null when the header has none. */
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Absolute offset of the data section (8 + header length). */
  readonly dataOffset: number;
}

export interface ShardedSafetensors extends SafetensorsCollection {
  /** Shard files (relative paths as the index names them) in the order of first mention. */
  readonly shards: readonly SafetensorsFile[];
  readonly shardPaths: readonly string[];
  /** `metadata.total_size` of the index, when present (not checked: writers disagree on what it counts). */
  readonly declaredTotalSize: number | undefined;
}

/** Opens a file beside the one being read, by a relative path (a shard next to its index). */
export type FileOpener = (relPath: string) => Promise<ByteSource>;
