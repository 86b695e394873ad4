import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** The browser build the page tests serve (npm run build makes it; the test runner builds before the tests). */
export const BROWSER_DIST = join(process.cwd(), "dist", "browser");

/** Builds dist/browser when it is missing (a test run without the build step); never rebuilds it under a running test. */
export function ensureBrowserBuild(): void {
  if (existsSync(join(BROWSER_DIST, "index.html"))) return;
  const build = spawnSync(process.execPath, ["scripts/build-browser.mjs"], { encoding: "utf8" });
  assert.equal(build.status, 0, `build-browser failed:\n${build.stderr}`);
}
