import { GemmaError } from "../../../util/errors.js";

/** What follows `hf:owner/repo:` — a quant tag (`Q4_K_M`) or a file in the repo (`sub/model-f16.gguf`). */
export type HfSelector = { readonly kind: "quant"; readonly tag: string } | { readonly kind: "file"; readonly path: string };

export interface HfName {
  readonly repo: string;
  readonly selector: HfSelector | undefined;
  /** The normalized name the model is cached under (quant tags upper-cased). */
  readonly key: string;
}

const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** Whether a repo-relative path is safe to join under the cache (no `..`, no absolute paths). */
export function isSafeRepoPath(path: string): boolean {
  return path.split("/").every((s) => s !== "" && s !== "." && s !== ".." && !s.includes("\\"));
}

/** Parses `hf:owner/repo[:QUANT|:file]` (the `hf:` prefix already checked by the caller). */
export function parseHfName(name: string): HfName {
  const rest = name.slice("hf:".length);
  const colon = rest.indexOf(":");
  const repo = colon < 0 ? rest : rest.slice(0, colon);
  const sel = colon < 0 ? undefined : rest.slice(colon + 1);
  const parts = repo.split("/");
  if (parts.length !== 2 || !parts.every((p) => REPO_PART.test(p) && !p.includes(".."))) {
    throw new GemmaError("SOURCE_BAD_NAME", `${name}: expected hf:owner/repo[:QUANT|:file], e.g. hf:ggml-org/gemma-3-1b-it-GGUF:Q4_K_M`);
  }
  if (sel === undefined) return { repo, selector: undefined, key: `hf:${repo}` };
  if (sel === "" || !isSafeRepoPath(sel)) throw new GemmaError("SOURCE_BAD_NAME", `${name}: bad quant tag or file name "${sel}"`);
  if (sel.includes(".") || sel.includes("/")) return { repo, selector: { kind: "file", path: sel }, key: `hf:${repo}:${sel}` };
  const tag = sel.toUpperCase();
  return { repo, selector: { kind: "quant", tag }, key: `hf:${repo}:${tag}` };
}
