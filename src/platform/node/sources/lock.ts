import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";
import { interrupted, sleep } from "./http.js";

/**
 * A lock file beside the file being produced (`<target>.lock`), so that two gemma processes pulling
 * the same model never write the same temporary file. Created with O_EXCL; it holds the owner's pid,
 * host and a random token. The owner touches it every few seconds; a lock whose owner is gone (same
 * host, pid not running) or that has not been touched for STALE_MS is broken by the next process.
 */
const HEARTBEAT_MS = 5_000;
const STALE_MS = 60_000;
const POLL_MS = 200;

interface LockRecord {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

export interface LockOptions {
  readonly signal?: AbortSignal | undefined;
  /** Called once when the lock is held by another live process and this one starts waiting. */
  readonly onWait?: ((holder: string) => void) | undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    return typeof r.pid === "number" && typeof r.host === "string" && typeof r.token === "string" ? (r as LockRecord) : undefined;
  } catch {
    return undefined;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

async function isStale(lockPath: string, text: string): Promise<boolean> {
  const record = parseRecord(text);
  if (record && record.host === hostname() && !processAlive(record.pid)) return true;
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}

/**
 * Moves a stale lock aside. Two processes may judge the same lock stale; the second rename could
 * then move the fresh lock the first one just created, so the moved file is checked and put back
 * (link fails if yet another lock appeared meanwhile, which is then the live one).
 */
async function breakStale(lockPath: string, observed: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if ((await readIfExists(aside)) !== observed) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function tryCreate(lockPath: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return true;
}

/** Runs `fn` while holding the lock for `target`, waiting for another holder to finish first. */
export async function withFileLock<T>(target: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lockPath = `${target}.lock`;
  await mkdir(dirname(lockPath), { recursive: true });
  const record: LockRecord = { pid: process.pid, host: hostname(), token: randomBytes(8).toString("hex") };
  const text = JSON.stringify(record);
  let waiting = false;
  while (!(await tryCreate(lockPath, text))) {
    const other = await readIfExists(lockPath);
    if (other === undefined) continue;
    if (await isStale(lockPath, other)) {
      await breakStale(lockPath, other);
      continue;
    }
    if (!waiting) {
      waiting = true;
      const holder = parseRecord(other);
      opts.onWait?.(holder ? `process ${holder.pid} on ${holder.host}` : "another process");
    }
    await sleep(POLL_MS, opts.signal).catch(() => {
      throw interrupted(`waiting for the lock ${lockPath}`);
    });
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    if ((await readIfExists(lockPath)) === text) await unlink(lockPath).catch(() => undefined);
  }
}
