import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { GemmaError } from "../../../util/errors.js";
import { sha256File } from "./file-hash.js";
import { manifestsDir, modelsDir } from "./home.js";
import type { ProgressListener } from "./progress.js";
import type { ResolvedModel } from "./resolved-model.js";

/**
 * One JSON record per pulled model under `$GEMMA_HOME/manifests/`, written after all its files are
 * verified and in place: it is what makes a model "in the cache" (for offline resolution, `gemma
 * list` and `gemma rm`). Paths are relative to the cache root, so a moved cache still works.
 */
export interface CachedFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string | undefined;
}

export interface CacheRecord {
  /** The name the model is pulled by: a catalog name or a normalized `hf:owner/repo[:sel]`. */
  readonly name: string;
  readonly kind: ResolvedModel["kind"];
  /** The GGUF's first file, or the Hugging Face folder. */
  readonly main: string;
  readonly files: readonly CachedFile[];
  /** Where the files came from, for `gemma list`. */
  readonly source: string;
  readonly pulledAt: string;
}

function recordPath(home: string, name: string): string {
  return join(manifestsDir(home), `${encodeURIComponent(name)}.json`);
}

function isRecord(v: unknown): v is CacheRecord {
  const r = v as Partial<CacheRecord> | null;
  return (
    typeof r === "object" && r !== null && typeof r.name === "string" && (r.kind === "gguf" || r.kind === "hf-folder") &&
    typeof r.main === "string" && Array.isArray(r.files) && r.files.every((f) => typeof f?.path === "string" && typeof f.size === "number")
  );
}

/** The record for `name`, or undefined when the model is not cached (an unreadable record counts as absent). */
export async function readRecord(home: string, name: string): Promise<CacheRecord | undefined> {
  let text;
  try {
    text = await readFile(recordPath(home, name), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) && parsed.name === name ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(home: string, record: CacheRecord): Promise<void> {
  const path = recordPath(home, record.name);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, JSON.stringify(record, null, 2) + "\n");
  await rename(tmp, path);
}

export async function listRecords(home: string): Promise<CacheRecord[]> {
  let names: string[];
  try {
    names = await readdir(manifestsDir(home));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const records: CacheRecord[] = [];
  for (const file of names.filter((n) => n.endsWith(".json"))) {
    let name;
    try {
      name = decodeURIComponent(file.slice(0, -".json".length));
    } catch {
      continue; // not a file this cache wrote
    }
    const record = await readRecord(home, name);
    if (record) records.push(record);
  }
  return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function cachePath(home: string, absolute: string): string {
  return relative(home, absolute).split(sep).join("/");
}

export function toResolved(home: string, record: CacheRecord): ResolvedModel {
  const main = join(home, record.main);
  return record.kind === "gguf" ? { kind: "gguf", path: main } : { kind: "hf-folder", dir: main };
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

/**
 * Whether every file of the record is present with its recorded size; with `verify`, also its sha256
 * (a file that fails is deleted so that the next pull fetches it again).
 */
export async function recordIsIntact(home: string, record: CacheRecord, verify: boolean, onProgress?: ProgressListener): Promise<boolean> {
  for (const f of record.files) {
    const path = join(home, f.path);
    if ((await sizeOf(path)) !== f.size) return false;
    if (verify && f.sha256 !== undefined) {
      onProgress?.({ type: "note", message: `checking the sha256 of ${path}` });
      if ((await sha256File(path)) !== f.sha256) {
        onProgress?.({ type: "note", message: `${path}: sha256 mismatch; fetching it again` });
        await unlink(path);
        return false;
      }
    }
  }
  return true;
}

/** Removes empty folders from `dir` up to (not including) `stop`. */
async function pruneEmptyDirs(dir: string, stop: string): Promise<void> {
  for (let d = dir; d.startsWith(stop + sep); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return;
    }
  }
}

/**
 * Deletes a cached model: its record and the files no other record uses (two names can share a
 * file, e.g. `hf:o/r` and `hf:o/r:Q4_K_M`), with their leftover `.part` files. Returns the record.
 */
export async function removeRecord(home: string, name: string): Promise<CacheRecord> {
  const record = await readRecord(home, name);
  if (!record) throw new GemmaError("SOURCE_NOT_FOUND", `${name}: not in the cache ${home} (see \`gemma list\`)`);
  const others = (await listRecords(home)).filter((r) => r.name !== name);
  const shared = new Set(others.flatMap((r) => r.files.map((f) => f.path)));
  await unlink(recordPath(home, name));
  for (const f of record.files) {
    if (shared.has(f.path)) continue;
    const path = join(home, f.path);
    for (const p of [path, `${path}.part`]) await unlink(p).catch(() => undefined);
    await pruneEmptyDirs(dirname(path), modelsDir(home));
  }
  return record;
}
