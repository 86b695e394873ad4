import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { withFileLock } from "../../src/platform/node/sources/lock.js";
import { isGemmaError } from "../../src/util/errors.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gemma-lock-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const record = (pid: number) => JSON.stringify({ pid, host: hostname(), token: "other" });

/** A process that exists while the test runs (its pid is alive). */
async function liveProcess() {
  const p = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  await once(p, "spawn");
  return p;
}

test("calls in one process run one at a time", async () => {
  const target = join(dir, "serial");
  const order: string[] = [];
  const job = (name: string) =>
    withFileLock(target, {}, async () => {
      order.push(`${name} in`);
      await new Promise((r) => setTimeout(r, 50));
      order.push(`${name} out`);
    });
  await Promise.all([job("a"), job("b")]);
  // Either may win the race for the lock; what matters is that the two never overlap.
  const first = order[0]?.split(" ")[0];
  const second = first === "a" ? "b" : "a";
  assert.deepEqual(order, [`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
  assert.deepEqual(await readdir(dir), []);
});

test("a lock held by a live process is waited for; one of a dead process is broken", async () => {
  const holder = await liveProcess();
  const target = join(dir, "held");
  await writeFile(`${target}.lock`, record(holder.pid!));
  const waits: string[] = [];
  let ran = false;
  const waiting = withFileLock(target, { onWait: (h) => waits.push(h) }, async () => {
    ran = true;
  });
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(ran, false);
  assert.deepEqual(waits, [`process ${holder.pid} on ${hostname()}`]);
  holder.kill("SIGKILL");
  await once(holder, "exit");
  await waiting;
  assert.equal(ran, true);
  assert.deepEqual(await readdir(dir), []);
});

test("a lock not touched for a minute is stale even if its pid runs; waiting can be aborted", async () => {
  const holder = await liveProcess();
  try {
    const target = join(dir, "old");
    await writeFile(`${target}.lock`, record(holder.pid!));
    const controller = new AbortController();
    const waiting = withFileLock(target, { signal: controller.signal }, async () => assert.fail("must not run"));
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(waiting, (e: unknown) => isGemmaError(e) && e.code === "DOWNLOAD_FAILED" && /interrupted/.test(e.message));
    const old = new Date(Date.now() - 120_000);
    await utimes(`${target}.lock`, old, old);
    assert.equal(await withFileLock(target, {}, async () => "ran"), "ran");
    await assert.rejects(unlink(`${target}.lock`), { code: "ENOENT" });
  } finally {
    holder.kill("SIGKILL");
  }
});
