import { GemmaError } from "../../../util/errors.js";
import { isSafeRepoPath } from "./hf-name.js";
import type { RepoFile } from "./hf-select.js";
import { getJson, statusError, type HttpOptions } from "./http.js";

/** How to reach the Hugging Face hub (or a mirror with the same API). */
export interface Hub {
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly signal: AbortSignal | undefined;
}

const REVISION = "main";

export function hubBearer(hub: Hub): HttpOptions["bearer"] {
  return hub.token ? { token: hub.token, origin: new URL(hub.endpoint).origin } : undefined;
}

/**
 * The hub's refusals, worded for the user. It answers 401 both for a gated model and, to unsigned
 * requests, for a repo that does not exist; the `x-error-code` header tells them apart.
 */
export function hubError(hub: Hub, repo: string, response: Response, url: string): GemmaError {
  const code = response.headers.get("x-error-code");
  if (code === "RepoNotFound" || (response.status === 404 && code !== "EntryNotFound")) {
    return new GemmaError(
      "SOURCE_NOT_FOUND",
      `hf:${repo}: no such repository at ${hub.endpoint}${hub.token ? "" : " (if it is private, set HF_TOKEN)"}`,
    );
  }
  if (code === "EntryNotFound") return new GemmaError("SOURCE_NOT_FOUND", `hf:${repo}: ${url} does not exist`);
  if (response.status === 401 || response.status === 403) {
    const tokenNote = hub.token ? " (HF_TOKEN is set but was refused for this model)" : "";
    return new GemmaError(
      "DOWNLOAD_UNAUTHORIZED",
      `hf:${repo}: this model is gated: accept its licence at ${hub.endpoint}/${repo} and set HF_TOKEN${tokenNote} [HTTP ${response.status} from ${url}]`,
    );
  }
  return statusError(response, url, `hf:${repo}`);
}

interface TreeEntry {
  readonly type?: unknown;
  readonly path?: unknown;
  readonly size?: unknown;
  readonly lfs?: { readonly oid?: unknown; readonly size?: unknown };
}

function nextPage(link: string | null, base: string): string | undefined {
  const m = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  return m ? new URL(m[1]!, base).toString() : undefined;
}

/** Every file of the repo (`/api/models/{repo}/tree/main?recursive=true`, following `Link: rel="next"` pages). */
export async function listRepoFiles(hub: Hub, repo: string): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  let url: string | undefined = `${hub.endpoint}/api/models/${repo}/tree/${REVISION}?recursive=true`;
  while (url) {
    const what = `hf:${repo}: file list`;
    const page = await getJson(url, what, { bearer: hubBearer(hub), signal: hub.signal }, (r, u) => hubError(hub, repo, r, u));
    if (!Array.isArray(page.json)) throw new GemmaError("DOWNLOAD_FAILED", `${what}: ${url} did not answer with a JSON array`);
    for (const e of page.json as TreeEntry[]) {
      if (e.type !== "file" || typeof e.path !== "string" || !Number.isSafeInteger(e.size)) continue;
      if (!isSafeRepoPath(e.path)) throw new GemmaError("DOWNLOAD_FAILED", `${what}: unsafe file path ${JSON.stringify(e.path)}`);
      const oid = e.lfs?.oid;
      files.push({ path: e.path, size: e.size as number, sha256: typeof oid === "string" && /^[0-9a-f]{64}$/.test(oid) ? oid : undefined });
    }
    url = nextPage(page.response.headers.get("link"), url);
  }
  return files;
}

export function resolveUrl(hub: Hub, repo: string, path: string): string {
  return `${hub.endpoint}/${repo}/resolve/${REVISION}/${path.split("/").map(encodeURIComponent).join("/")}`;
}
