import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { main } from "../../src/cli/main.js";
import { startMockHub, type MockHub } from "./mock-hub.js";

const weights = Buffer.concat([Buffer.from("GGUF"), randomBytes(100_000)]);
let hub: MockHub;
let home: string;
before(async () => {
  hub = await startMockHub({ "org/cli": { files: { "cli-Q4_K_M.gguf": weights } } });
  home = await mkdtemp(join(tmpdir(), "gemma-cli-"));
  Object.assign(process.env, { GEMMA_HOME: home, HF_ENDPOINT: hub.endpoint, HF_TOKEN: "" });
});
after(async () => {
  await hub.close();
  await rm(home, { recursive: true, force: true });
});

async function gemma(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d));
  err.on("data", (d: Buffer) => (stderr += d));
  const code = await main(argv, { stdout: out, stderr: err, signal: new AbortController().signal });
  return { code, stdout, stderr };
}

test("pull prints the path; list shows it; rm deletes files only when no other name uses them", async () => {
  const first = await gemma("pull", "hf:org/cli");
  assert.equal(first.code, 0, first.stderr);
  const path = first.stdout.trim();
  assert.ok((await readFile(path)).equals(weights));
  assert.match(first.stderr, /cli-Q4_K_M\.gguf: done/);

  const second = await gemma("pull", "-m", "hf:org/cli:q4_k_m");
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stdout.trim(), path);

  const listed = await gemma("list", "--json");
  assert.equal(listed.code, 0);
  const models = JSON.parse(listed.stdout) as { name: string; size: number; path: string; kind: string }[];
  assert.deepEqual(
    models.map(({ name, size, path, kind }) => ({ name, size, path, kind })),
    ["hf:org/cli", "hf:org/cli:Q4_K_M"].map((name) => ({ name, size: weights.length, path, kind: "gguf" })),
  );
  const table = await gemma("list");
  assert.match(table.stdout, /^NAME\s+SIZE\s+PATH\nhf:org\/cli\s+100\.0 kB\s+\S+\nhf:org\/cli:Q4_K_M\s+100\.0 kB\s+\S+\n$/);

  assert.equal((await gemma("rm", "hf:org/cli")).code, 0);
  assert.ok((await stat(path)).isFile(), "still used by hf:org/cli:Q4_K_M");
  const removed = await gemma("rm", "hf:org/cli:Q4_K_M");
  assert.equal(removed.code, 0);
  assert.match(removed.stderr, /removed hf:org\/cli:Q4_K_M \(100\.0 kB\)/);
  await assert.rejects(stat(path), { code: "ENOENT" });
  assert.deepEqual(JSON.parse((await gemma("list", "--json")).stdout), []);
});

test("errors: unknown name for rm, too many names for pull", async () => {
  const rmMissing = await gemma("rm", "nothing-here");
  assert.equal(rmMissing.code, 1);
  assert.match(rmMissing.stderr, /nothing-here: not in the cache .* \[SOURCE_NOT_FOUND\]/);
  assert.equal((await gemma("pull", "a", "b")).code, 2);
  const gatedOrMissing = await gemma("pull", "hf:org/absent");
  assert.equal(gatedOrMissing.code, 1);
  assert.match(gatedOrMissing.stderr, /\[SOURCE_NOT_FOUND\]/);
  assert.equal(gatedOrMissing.stdout, "");
});
