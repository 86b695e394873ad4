import type { ByteSource } from "../../util/byte-source.js";
import type { GgufMetadata } from "./metadata.js";

export type { GgufMetadata } from "./metadata.js";
export type { GgufArray, GgufEntry } from "./value-types.js";
export { GgufValueType } from "./value-types.js";
export { readGguf } from "./reader.js";
export { openGguf } from "./split.js";

/** One tensor of a GGUF file (or of one shard of a split model). */
export interface GgufTensorInfo {
  readonly name: string;
  /** ne0 first (the fastest-varying dimension), as in the file. */
  readonly dims: readonly number[];
  /** ggml type id (src/quant/types.ts). */
  readonly type: number;
  readonly byteSize: number;
  /** The file (shard) holding the data. */
  readonly source: ByteSource;
  /** Absolute byte offset of the data in `source`. */
  readonly offset: number;
  readonly nElements: number;
}

/** A parsed GGUF file (or a whole split model): metadata and tensor infos; tensor data is read on demand. */
export interface GgufFile {
  readonly name: string;
  readonly version: number;
  readonly alignment: number;
  /** Where the data section starts in the (first) file. */
  readonly dataOffset: number;
  readonly metadata: GgufMetadata;
  /** In file order (shard by shard for a split model). */
  readonly tensors: readonly GgufTensorInfo[];
  tensor(name: string): GgufTensorInfo | undefined;
  readTensor(t: GgufTensorInfo): Promise<Uint8Array>;
  /** Closes every source the file was read from. */
  close(): Promise<void>;
}
