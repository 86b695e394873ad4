// Builds the browser bundle into dist/browser/: the library (gemma.js, ESM), the engine's Web Worker
// (engine-worker.js, which imports gemma.js), the kernel pool's Web Worker (kernel-worker.js) and the demo page
// (index.html, app.js, style.css). Fails when any bundled module imports a Node built-in (the core must stay
// browser-safe), and prints each file's size. `--out DIR` builds elsewhere;
// `--entry FILE` bundles one more module with the library's settings (the tests check the built-in guard with it).
import { copyFile, mkdir, readFile, rm } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = parseArgs({ options: { out: { type: "string" }, entry: { type: "string" } } }).values;
const out = resolve(args.out ?? join(root, "dist", "browser"));
const shown = relative(process.cwd(), out) || ".";
const libraryEntry = join(root, "src", "platform", "browser", "index.ts");
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Records every import of a Node built-in (with its importer) instead of letting esbuild guess. */
function forbidNodeBuiltins(found) {
  return {
    name: "forbid-node-builtins",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.startsWith("node:") ? args.path : args.path.split("/")[0];
        if (!builtins.has(bare)) return undefined;
        found.push(`${relative(root, args.importer)} imports "${args.path}"`);
        return { path: args.path, external: true };
      });
    },
  };
}

/**
 * The demo page and the engine worker import the library's entry (its sources, for type checking); at run time
 * they use the library bundle, so that the page and the worker share one copy.
 */
const libraryAsBundle = {
  name: "library-as-bundle",
  setup(build) {
    const entry = libraryEntry.replace(/\.ts$/, ".js");
    build.onResolve({ filter: /index\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === entry ? { path: "./gemma.js", external: true } : undefined,
    );
  },
};

const found = [];
const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const libraryEntries = { gemma: libraryEntry, ...(args.entry ? { extra: resolve(args.entry) } : {}) };
const results = await Promise.all([
  esbuild.build({ ...common, entryPoints: libraryEntries, outdir: out, plugins: [forbidNodeBuiltins(found)] }),
  esbuild.build({
    ...common,
    entryPoints: { "kernel-worker": join(root, "src", "platform", "browser", "kernel-worker.ts") },
    outdir: out,
    plugins: [forbidNodeBuiltins(found)],
  }),
  esbuild.build({
    ...common,
    entryPoints: { app: join(root, "web", "app.ts"), "engine-worker": join(root, "src", "platform", "browser", "engine-worker.ts") },
    outdir: out,
    plugins: [libraryAsBundle, forbidNodeBuiltins(found)],
  }),
]);
for (const asset of ["index.html", "style.css"]) await copyFile(join(root, "web", asset), join(out, asset));

// Every import left in the output must be the library bundle itself (the demo page's and the engine worker's one import).
for (const { metafile } of results) {
  for (const [file, output] of Object.entries(metafile.outputs)) {
    for (const imp of output.imports) {
      if (imp.external && imp.path !== "./gemma.js") found.push(`${file} keeps the import "${imp.path}"`);
    }
  }
}
if (found.length > 0) {
  console.error(`build-browser: the browser bundle must not import Node built-ins:\n  ${[...new Set(found)].join("\n  ")}`);
  process.exit(1);
}

const files = ["gemma.js", "engine-worker.js", "kernel-worker.js", "app.js", "index.html", "style.css"];
let total = 0;
for (const name of files) {
  const bytes = await readFile(join(out, name));
  total += bytes.length;
  console.log(`${shown}/${name.padEnd(17)} ${(bytes.length / 1024).toFixed(1).padStart(7)} KiB  (${(gzipSync(bytes).length / 1024).toFixed(1)} KiB gzipped)`);
}
console.log(`${`${shown} total`.padEnd(shown.length + 18)}${(total / 1024).toFixed(1).padStart(7)} KiB`);
