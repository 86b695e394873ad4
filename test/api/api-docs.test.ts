import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as core from "../../src/api/index.js";
import * as node from "../../src/platform/node/index.js";

/** docs/api.md is generated from dist/'s declaration files (the test runner builds dist/ first). */
test("docs/api.md is current with the declarations and documents every runtime export of both entry points", () => {
  const check = spawnSync(process.execPath, ["scripts/api-docs.mjs", "--check"], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
  const doc = readFileSync("docs/api.md", "utf8");
  for (const name of new Set([...Object.keys(core), ...Object.keys(node)])) {
    assert.match(doc, new RegExp(`^### ${name}$`, "m"), `${name} has no section`);
  }
});
