import { join } from "node:path";
import { GemmaError } from "../../../util/errors.js";
import { cachePath, readRecord, recordIsIntact, toResolved, writeRecord, type CacheRecord } from "./cache-records.js";
import type { SourceContext } from "./context.js";
import { downloadFile } from "./download.js";
import { hubBearer, hubError, listRepoFiles, resolveUrl, type Hub } from "./hf-hub.js";
import { parseHfName } from "./hf-name.js";
import { selectFiles } from "./hf-select.js";
import { modelsDir } from "./home.js";
import type { ResolvedModel } from "./resolved-model.js";

/** Where the files of `owner/repo` are kept: the repo's own layout under models/hf/owner/repo. */
function repoDir(home: string, repo: string): string {
  return join(modelsDir(home), "hf", ...repo.split("/"));
}

/**
 * `hf:owner/repo[:QUANT|:file]`: from the cache when pulled before (no network), otherwise the
 * repo's file list picks the files, each is downloaded and checked against its LFS sha256.
 */
export async function resolveHfModel(name: string, ctx: SourceContext): Promise<ResolvedModel> {
  const { repo, selector, key } = parseHfName(name);
  const cached = await readRecord(ctx.home, key);
  if (cached && (await recordIsIntact(ctx.home, cached, ctx.verify, ctx.onProgress))) return toResolved(ctx.home, cached);
  if (!ctx.allowDownload) throw new GemmaError("SOURCE_NOT_FOUND", `${key}: not in the cache ${ctx.home}; run \`gemma pull ${key}\``);
  const hub: Hub = { endpoint: ctx.hfEndpoint, token: ctx.hfToken, signal: ctx.signal };
  const selection = selectFiles(repo, await listRepoFiles(hub, repo), selector);
  const dir = repoDir(ctx.home, repo);
  const files = [];
  for (const f of selection.files) {
    const done = await downloadFile(
      {
        url: resolveUrl(hub, repo, f.path),
        dest: join(dir, ...f.path.split("/")),
        label: f.path,
        size: f.size,
        sha256: f.sha256,
        bearer: hubBearer(hub),
        httpError: (response, url) => hubError(hub, repo, response, url),
      },
      ctx,
    );
    files.push({ path: cachePath(ctx.home, done.path), size: done.size, sha256: done.sha256 });
  }
  const record: CacheRecord = {
    name: key,
    kind: selection.kind,
    main: selection.kind === "gguf" ? files[0]!.path : cachePath(ctx.home, dir),
    files,
    source: `${ctx.hfEndpoint}/${repo}`,
    pulledAt: new Date().toISOString(),
  };
  await writeRecord(ctx.home, record);
  return toResolved(ctx.home, record);
}
