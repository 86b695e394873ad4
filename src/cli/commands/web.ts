import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GemmaError } from "../../util/errors.js";
import { startWebServer } from "../../platform/node/web-server.js";
import { DEFAULT_MODEL, resolveModel } from "../../platform/node/sources/resolve.js";
import { boolArg, intArg, stringArg } from "../args.js";
import type { Command } from "../command.js";
import { progressRenderer } from "../progress.js";

/** dist/browser (built by scripts/build-browser.mjs), from the built CLI (dist/src/...) or its sources (src/...). */
function browserBuild(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(here.endsWith(".ts") ? "../../../dist/browser/" : "../../../browser/", here));
}

/**
 * `gemma web`: serves the browser demo (dist/browser) and the chosen GGUF model (with range requests) on
 * loopback by default, with the COOP/COEP headers that give the page threads; the page then downloads the model
 * into the browser's cache (resuming an interrupted download; the server's ETag/Last-Modified say whether the
 * cached chunks are still this file's) and runs it there, in a Web Worker.
 */
export const webCommand: Command = {
  name: "web",
  summary: "serve the browser demo page and a model file for it",
  usage: "gemma web [-m MODEL] [--host 127.0.0.1] [--port 8081] [--no-isolation]",
  options: {
    model: { type: "string", short: "m" },
    host: { type: "string" },
    port: { type: "string" },
    "no-isolation": { type: "boolean" },
  },
  async run(values, _positionals, io) {
    const host = stringArg(values, "host") ?? "127.0.0.1";
    const port = intArg(values, "port", 0, 65535) ?? 8081;
    const root = browserBuild();
    if (!existsSync(`${root}index.html`)) {
      throw new GemmaError("FILE_NOT_FOUND", `${root}index.html is missing: build the page first (npm run build)`);
    }
    const resolved = await resolveModel(stringArg(values, "model") ?? DEFAULT_MODEL, { onProgress: progressRenderer(io.stderr), signal: io.signal });
    if (resolved.kind !== "gguf") {
      throw new GemmaError("MODEL_UNSUPPORTED_ARCH", `${resolved.dir}: the browser demo loads single GGUF files, not Hugging Face folders`);
    }
    const isolation = !boolArg(values, "no-isolation");
    const server = await startWebServer({ root, modelPath: resolved.path, host, port, isolation });
    io.stderr.write(
      `serving the demo on ${server.url}/ and ${resolved.path} at ${server.modelUrl}` +
        (isolation ? " (cross-origin isolated: threads on)\n" : " (no COOP/COEP headers: one thread)\n"),
    );
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.close();
    return 0;
  },
};
