import { Worker } from "node:worker_threads";

/**
 * A worker thread running the module `name` (without extension) beside `base` (the caller's import.meta.url):
 * its .js when running from dist/, its .ts when running from sources (tests, tsx), where, Node 20 workers not
 * inheriting tsx's loader hooks, the worker registers them before importing its entry.
 */
export function startModuleWorker(base: string, name: string): Worker {
  if (!base.endsWith(".ts")) return new Worker(new URL(`./${name}.js`, base));
  const entry = JSON.stringify(new URL(`./${name}.ts`, base).href);
  return new Worker(`import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${entry}); })`, { eval: true });
}
