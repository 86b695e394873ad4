export * from "./file.js";
export { GGUF_ALIGNMENT_KEY, GGUF_DEFAULT_ALIGNMENT } from "./reader.js";
export { SPLIT_COUNT_KEY, SPLIT_NO_KEY, SPLIT_TENSORS_COUNT_KEY, shardName } from "./split.js";
export { type GgufWriteTensor, type GgufWriteOptions, writeGguf } from "./writer.js";
export { ggufArray, ggufValue } from "./value-builders.js";
export { arrayTypeName, entryTypeName, valueTypeName } from "./value-types.js";
