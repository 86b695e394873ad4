import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { GemmaError } from "../../../util/errors.js";
import type { SourceContext } from "./context.js";
import { assertGgufMagic } from "./gguf-magic.js";
import type { ResolvedModel } from "./resolved-model.js";

/**
 * `ollama:NAME[:TAG]`: a model already pulled with Ollama, used in place (the blob is not copied).
 * Ollama keeps an OCI-style manifest per name and tag under `manifests/<registry>/<namespace>/<name>/<tag>`
 * and content-addressed blobs under `blobs/sha256-<hex>`; the layer with media type
 * `application/vnd.ollama.image.model` is a GGUF file.
 */
const MODEL_LAYER = "application/vnd.ollama.image.model";
/** Layers that change what the model computes; skipping them is worth a note. */
const NOTED_LAYERS: Readonly<Record<string, string>> = {
  "application/vnd.ollama.image.projector": "vision projector",
  "application/vnd.ollama.image.adapter": "LoRA adapter",
};
const DEFAULT_REGISTRY = "registry.ollama.ai";
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface Layer {
  readonly mediaType?: unknown;
  readonly digest?: unknown;
  readonly size?: unknown;
}

/** `gemma3` -> registry.ollama.ai/library/gemma3; `owner/name` and `host/owner/name` likewise. */
function manifestPath(models: string, spec: string): { path: string; display: string } {
  const slash = spec.lastIndexOf("/");
  const colon = spec.indexOf(":", slash + 1);
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const tag = colon < 0 ? "latest" : spec.slice(colon + 1);
  const parts = name.split("/");
  if (parts.length > 3 || ![...parts, tag].every((p) => SEGMENT.test(p) && !p.includes(".."))) {
    throw new GemmaError("SOURCE_BAD_NAME", `ollama:${spec}: expected ollama:NAME[:TAG], e.g. ollama:gemma3:270m`);
  }
  const full = parts.length === 1 ? [DEFAULT_REGISTRY, "library", ...parts] : parts.length === 2 ? [DEFAULT_REGISTRY, ...parts] : parts;
  return { path: join(models, "manifests", ...full, tag), display: `ollama:${name}:${tag}` };
}

async function blobPath(models: string, digest: string, display: string): Promise<string> {
  const m = /^sha256[:-]([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new GemmaError("SOURCE_NOT_FOUND", `${display}: the model layer has an unexpected digest "${digest}"`);
  // Current Ollama names blobs `sha256-<hex>`; early versions used `sha256:<hex>`.
  for (const name of [`sha256-${m[1]}`, `sha256:${m[1]}`]) {
    const path = join(models, "blobs", name);
    if (await stat(path).then(() => true, () => false)) return path;
  }
  throw new GemmaError("SOURCE_NOT_FOUND", `${display}: blob ${join(models, "blobs", `sha256-${m[1]}`)} is missing (run \`ollama pull\` again)`);
}

export async function resolveOllamaModel(spec: string, ctx: SourceContext): Promise<ResolvedModel> {
  const { path, display } = manifestPath(ctx.ollamaModels, spec);
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new GemmaError(
      "SOURCE_NOT_FOUND",
      `${display}: no Ollama manifest at ${path} (pull it with \`ollama pull\`, or set OLLAMA_MODELS to Ollama's models folder)`,
    );
  }
  let layers: Layer[];
  try {
    const parsed = JSON.parse(text) as { layers?: unknown };
    if (!Array.isArray(parsed.layers)) throw new Error("no layers[]");
    layers = parsed.layers as Layer[];
  } catch (e) {
    throw new GemmaError("SOURCE_NOT_FOUND", `${display}: manifest ${path} is not a valid Ollama manifest (${(e as Error).message})`);
  }
  const models = layers.filter((l) => l.mediaType === MODEL_LAYER);
  const model = models[0];
  if (!model || typeof model.digest !== "string") throw new GemmaError("SOURCE_NOT_FOUND", `${display}: manifest ${path} has no ${MODEL_LAYER} layer`);
  for (const l of layers) {
    const what = typeof l.mediaType === "string" ? NOTED_LAYERS[l.mediaType] : undefined;
    if (what) ctx.onProgress?.({ type: "note", message: `${display}: skipping the ${what} layer ${String(l.digest)}; gemma-ts uses the text model only` });
  }
  const blob = await blobPath(ctx.ollamaModels, model.digest, display);
  const size = (await stat(blob)).size;
  if (typeof model.size === "number" && size !== model.size) {
    throw new GemmaError("SOURCE_NOT_FOUND", `${display}: blob ${blob} has ${size} bytes, the manifest says ${model.size} (run \`ollama pull\` again)`);
  }
  await assertGgufMagic(blob, `${display}: blob ${blob}`);
  return { kind: "gguf", path: blob };
}
