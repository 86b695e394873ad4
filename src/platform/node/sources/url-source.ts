import { createHash } from "node:crypto";
import { join } from "node:path";
import { GemmaError } from "../../../util/errors.js";
import { cachePath, readRecord, recordIsIntact, toResolved, writeRecord, type CacheRecord } from "./cache-records.js";
import type { SourceContext } from "./context.js";
import { downloadFile } from "./download.js";
import { assertGgufMagic } from "./gguf-magic.js";
import { modelsDir } from "./home.js";
import type { ResolvedModel } from "./resolved-model.js";

/** `http(s)://…` names a single GGUF file on any web server. */
export function isModelUrl(name: string): boolean {
  return /^https?:\/\//i.test(name);
}

/**
 * A GGUF file at a URL, as llama.cpp's --model-url: downloaded once into the cache (resumable; a server that
 * ignores Range starts over), recorded under the URL itself, and read from the cache afterwards without the network.
 * The folder is a hash of the URL, so two files of the same name from different places do not collide.
 */
export async function resolveUrlModel(name: string, ctx: SourceContext): Promise<ResolvedModel> {
  let url: URL;
  try {
    url = new URL(name);
  } catch {
    throw new GemmaError("SOURCE_BAD_NAME", `${name}: not a valid URL`);
  }
  const key = url.href;
  const cached = await readRecord(ctx.home, key);
  if (cached && (await recordIsIntact(ctx.home, cached, ctx.verify, ctx.onProgress))) return toResolved(ctx.home, cached);
  if (!ctx.allowDownload) throw new GemmaError("SOURCE_NOT_FOUND", `${key}: not in the cache ${ctx.home}; run \`gemma pull ${key}\``);
  const file = decodeURIComponent(url.pathname.split("/").pop() ?? "");
  if (!/\.gguf$/i.test(file)) throw new GemmaError("SOURCE_BAD_NAME", `${key}: a model URL must name a .gguf file`);
  const dir = join(modelsDir(ctx.home), "url", createHash("sha256").update(key).digest("hex").slice(0, 16));
  const done = await downloadFile({ url: key, dest: join(dir, file), label: file }, ctx);
  await assertGgufMagic(done.path, key);
  const record: CacheRecord = {
    name: key,
    kind: "gguf",
    main: cachePath(ctx.home, done.path),
    files: [{ path: cachePath(ctx.home, done.path), size: done.size, sha256: done.sha256 }],
    source: key,
    pulledAt: new Date().toISOString(),
  };
  await writeRecord(ctx.home, record);
  return toResolved(ctx.home, record);
}
