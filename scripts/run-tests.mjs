#!/usr/bin/env node
// Runs the test suite with node's test runner: builds the WebAssembly kernels and dist/ (the CLI tests spawn bin/gemma.js),
// then runs every test/**/*.test.ts through tsx. `--full` adds test/full/** (the long sweeps).
// Extra arguments that are paths select those test files only.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const full = args.includes("--full");
const picked = args.filter((a) => !a.startsWith("--"));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === "full" && !full) continue;
      if (name === "fixtures" || name === "golden") continue;
      out.push(...walk(p));
    } else if (name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const build = spawnSync("npm", ["run", "--silent", "build"], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = picked.length > 0 ? picked : walk("test");
const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, GEMMA_TEST: "1" } },
);
process.exit(r.status ?? 1);
