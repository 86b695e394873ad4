import { GemmaError } from "../../util/errors.js";
import { describeJson as kind, isJsonObject as isObject, parseJsonBytes } from "../hf/json.js";

/** What `model.safetensors.index.json` says (the layout written by huggingface_hub / transformers). */
export interface SafetensorsIndex {
  /** Tensor name → shard path relative to the index. */
  readonly weightMap: ReadonlyMap<string, string>;
  /** Distinct shard paths in the order of first mention. */
  readonly shardPaths: readonly string[];
  readonly totalSize: number | undefined;
}

export function parseSafetensorsIndex(fileName: string, bytes: Uint8Array): SafetensorsIndex {
  const parsed = parseJsonBytes(bytes, { fileName, what: "the safetensors index", code: "SAFETENSORS_BAD_INDEX" });
  const root = parsed.value;
  const bad = (problem: string, node?: object): never => {
    const at = node === undefined ? undefined : parsed.offsetOf(node);
    throw new GemmaError("SAFETENSORS_BAD_INDEX", `${fileName}: ${problem}${at === undefined ? "" : ` (byte offset ${at})`}`);
  };
  if (!isObject(root)) return bad(`the index is ${kind(root)}, not a JSON object`);
  const map = root["weight_map"];
  if (!isObject(map)) return bad(`"weight_map" is ${kind(map)}, not an object of tensor name → shard file`, root);
  let totalSize: number | undefined;
  const meta = root["metadata"];
  if (meta !== undefined && meta !== null) {
    if (!isObject(meta)) return bad(`"metadata" is ${kind(meta)}, not an object`, root);
    const total = meta["total_size"];
    if (total !== undefined) {
      if (typeof total !== "number" || !Number.isSafeInteger(total) || total < 0) {
        return bad(`"metadata.total_size" is ${kind(total)}, not a non-negative integer`, meta);
      }
      totalSize = total;
    }
  }
  const weightMap = new Map<string, string>();
  const shardPaths: string[] = [];
  for (const [tensor, path] of Object.entries(map)) {
    if (typeof path !== "string") return bad(`"weight_map" entry "${tensor}" is ${kind(path)}, not a shard file name`, map);
    const problem = shardPathProblem(path);
    if (problem) return bad(`"weight_map" entry "${tensor}" names shard ${JSON.stringify(path)}, which ${problem}`, map);
    if (!shardPaths.includes(path)) shardPaths.push(path);
    weightMap.set(tensor, path);
  }
  return { weightMap, shardPaths, totalSize };
}

/**
 * Why a shard path may not be opened, or undefined when it is a plain relative path.
 * Shards must lie inside the checkpoint's folder: a crafted index must not reach other files.
 */
function shardPathProblem(path: string): string | undefined {
  if (path === "") return "is empty";
  if (path.includes("\0")) return "contains a NUL character";
  if (path.includes("\\")) return "contains a backslash";
  if (path.startsWith("/")) return "is an absolute path";
  if (/^[A-Za-z]:/.test(path)) return "starts with a drive letter";
  const parts = path.split("/");
  if (parts.includes("..")) return "climbs out of the folder with ..";
  if (parts.some((p) => p === "" || p === ".")) return "has an empty or '.' path segment";
  return undefined;
}
