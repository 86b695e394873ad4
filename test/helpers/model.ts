import { DEFAULT_MODEL, resolveModel } from "../../src/platform/node/sources/resolve.js";

/**
 * Path of the default model (Gemma 3 270M Q4_K_M), fetched into the cache if it is not there yet
 * (.ci/run pulls it before the tests, so this normally only looks it up).
 */
export async function defaultModelPath(): Promise<string> {
  const r = await resolveModel(DEFAULT_MODEL);
  if (r.kind !== "gguf") throw new Error(`default model resolved to ${r.kind}`);
  return r.path;
}
