import { GemmaError } from "../../../util/errors.js";
import { shardName } from "../../../formats/gguf/split.js";
import type { HfSelector } from "./hf-name.js";
import { parseShardName } from "./shard-name.js";

export interface RepoFile {
  readonly path: string;
  readonly size: number;
  /** The Git LFS sha256 (large files); undefined for small files kept in git. */
  readonly sha256: string | undefined;
}

export type Selection =
  /** `files[0]` is the GGUF to open (the first shard of a split file); the rest are its other shards. */
  | { readonly kind: "gguf"; readonly files: readonly RepoFile[] }
  | { readonly kind: "hf-folder"; readonly files: readonly RepoFile[] };

const DEFAULT_QUANT = "Q4_K_M";
const FOLDER_FILES = new Set(["config.json", "generation_config.json", "special_tokens_map.json", "added_tokens.json"]);

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** A GGUF holding a model, not a vision projector or an importance matrix (as llama.cpp's -hf skips them). */
function isModelGguf(path: string): boolean {
  const name = baseName(path).toLowerCase();
  return name.endsWith(".gguf") && !name.includes("mmproj") && !name.includes("imatrix");
}

/** Not the 2nd..nth shard of a split GGUF. */
function isFirstFile(path: string): boolean {
  return (parseShardName(path)?.index ?? 1) === 1;
}

/** The quant tag as a whole word of the path, followed by `.` or `-` (so Q4_K does not pick Q4_K_M). */
function hasTag(path: string, tag: string): boolean {
  const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?:^|[^A-Za-z0-9])${escaped}[.-]`, "i").test(path);
}

/** The file and, for a split GGUF, all its shards in order. */
function withShards(repo: string, first: RepoFile, files: readonly RepoFile[]): RepoFile[] {
  const split = parseShardName(first.path);
  if (!split) return [first];
  const shards: RepoFile[] = [];
  for (let i = 0; i < split.count; i++) {
    const path = shardName(first.path, i, split.count)!;
    const shard = files.find((f) => f.path === path);
    if (!shard) throw new GemmaError("SOURCE_NOT_FOUND", `hf:${repo}: split GGUF ${first.path} lacks shard ${path}`);
    shards.push(shard);
  }
  return shards;
}

function isFolderFile(path: string): boolean {
  if (path.includes("/")) return false;
  return (
    FOLDER_FILES.has(path) || path.startsWith("tokenizer") || path.startsWith("chat_template.") ||
    path.endsWith(".safetensors") || path.endsWith(".safetensors.index.json")
  );
}

function ggufList(files: readonly RepoFile[]): string {
  const ggufs = files.filter((f) => f.path.toLowerCase().endsWith(".gguf")).map((f) => f.path);
  return ggufs.length > 0 ? `GGUF files: ${ggufs.join(", ")}` : "the repository has no GGUF files";
}

/**
 * Which files of a repo make the model: a quant tag picks the first model GGUF whose path has it
 * (default Q4_K_M, else the first model GGUF); a file name picks that file; a repo without GGUFs
 * gives its Hugging Face folder (config.json, tokenizer files, safetensors and their index).
 */
export function selectFiles(repo: string, listed: readonly RepoFile[], selector: HfSelector | undefined): Selection {
  const files = [...listed].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (selector?.kind === "file") {
    const file = files.find((f) => f.path === selector.path);
    if (!file) throw new GemmaError("SOURCE_NOT_FOUND", `hf:${repo}: no file ${selector.path} (${ggufList(files)})`);
    if (!file.path.toLowerCase().endsWith(".gguf")) {
      throw new GemmaError("SOURCE_BAD_NAME", `hf:${repo}:${selector.path}: only a .gguf file can be named; name the repo alone for a safetensors folder`);
    }
    return { kind: "gguf", files: withShards(repo, file, files) };
  }
  const candidates = files.filter((f) => isModelGguf(f.path) && isFirstFile(f.path));
  const tag = selector?.tag ?? DEFAULT_QUANT;
  const tagged = candidates.find((f) => hasTag(f.path, tag));
  if (tagged) return { kind: "gguf", files: withShards(repo, tagged, files) };
  if (selector) throw new GemmaError("SOURCE_NOT_FOUND", `hf:${repo}: no GGUF file with quant ${tag} (${ggufList(files)})`);
  if (candidates[0]) return { kind: "gguf", files: withShards(repo, candidates[0], files) };
  const folder = files.filter((f) => isFolderFile(f.path));
  if (folder.some((f) => f.path === "config.json") && folder.some((f) => f.path.endsWith(".safetensors"))) {
    return { kind: "hf-folder", files: folder };
  }
  throw new GemmaError("SOURCE_NOT_FOUND", `hf:${repo}: neither a GGUF file nor config.json with *.safetensors in the repository`);
}
