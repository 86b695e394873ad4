import { homedir } from "node:os";
import { join } from "node:path";
import { BUILTIN_CATALOG, type Catalog } from "./catalog.js";
import { gemmaHome } from "./home.js";
import type { ProgressListener } from "./progress.js";

export interface ResolveOptions {
  /** The cache; default gemmaHome(). */
  readonly home?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: ProgressListener;
  /** Download catalog and hub models that are not cached yet (default true). */
  readonly allowDownload?: boolean;
  /** Re-hash cached files against their recorded sha256 and fetch again what fails (default false). */
  readonly verify?: boolean;
  /** Catalog used for bare names; default BUILTIN_CATALOG (tests inject their own). */
  readonly catalog?: Catalog;
  /** Default `$PYPI_URL` or https://pypi.org. */
  readonly pypiUrl?: string;
  /** Default `$HF_ENDPOINT` or https://huggingface.co. */
  readonly hfEndpoint?: string;
  /** Default `$HF_TOKEN`. */
  readonly hfToken?: string;
  /** Default `$OLLAMA_MODELS` or ~/.ollama/models. */
  readonly ollamaModels?: string;
}

/** ResolveOptions with every default filled in, passed to each source. */
export interface SourceContext {
  readonly home: string;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ProgressListener | undefined;
  readonly allowDownload: boolean;
  readonly verify: boolean;
  readonly catalog: Catalog;
  readonly pypiUrl: string;
  readonly hfEndpoint: string;
  readonly hfToken: string | undefined;
  readonly ollamaModels: string;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

export function sourceContext(opts: ResolveOptions): SourceContext {
  const env = process.env;
  return {
    home: opts.home ?? gemmaHome(),
    signal: opts.signal,
    onProgress: opts.onProgress,
    allowDownload: opts.allowDownload ?? true,
    verify: opts.verify ?? false,
    catalog: opts.catalog ?? BUILTIN_CATALOG,
    pypiUrl: withoutTrailingSlash(opts.pypiUrl ?? (env.PYPI_URL || "https://pypi.org")),
    hfEndpoint: withoutTrailingSlash(opts.hfEndpoint ?? (env.HF_ENDPOINT || "https://huggingface.co")),
    hfToken: opts.hfToken ?? (env.HF_TOKEN || undefined),
    ollamaModels: opts.ollamaModels ?? (env.OLLAMA_MODELS || join(homedir(), ".ollama", "models")),
  };
}
