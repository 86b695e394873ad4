import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { openSync, readSync, closeSync, statSync } from "node:fs";
import { before, test } from "node:test";
import { defaultModelPath } from "../helpers/model.js";
import { ensureBrowserBuild } from "./build.js";

/*
 * `gemma web` as a user runs it (bin/gemma.js; the test runner builds dist/ first): it serves the demo page with
 * or without the cross-origin isolation headers, and the model file by HTTP ranges, byte for byte as on disk.
 */

let modelPath: string;

before(async () => {
  ensureBrowserBuild();
  modelPath = await defaultModelPath();
});

/** Starts `gemma web` on a free port; resolves with its URLs once it listens, and a stop function. */
async function gemmaWeb(extra: string[]): Promise<{ url: string; modelUrl: string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ["bin/gemma.js", "web", "-m", modelPath, "--port", "0", ...extra], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
      const m = /serving the demo on (\S+)\/ and .* at (\S+)/.exec(stderr);
      if (m) resolve(m);
    });
    void exited.then((code) => reject(new Error(`gemma web exited with ${code}: ${stderr}`)));
  });
  return {
    url: match[1]!,
    modelUrl: match[2]!,
    stop: () => {
      child.kill("SIGINT");
      return exited;
    },
  };
}

function fileBytes(offset: number, length: number): Buffer {
  const fd = openSync(modelPath, "r");
  try {
    const out = Buffer.alloc(length);
    readSync(fd, out, 0, length, offset);
    return out;
  } finally {
    closeSync(fd);
  }
}

test("gemma web serves the page cross-origin isolated and the model by ranges", async () => {
  const web = await gemmaWeb([]);
  try {
    const page = await fetch(`${web.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="app.js">/);
    assert.equal(page.headers.get("cross-origin-opener-policy"), "same-origin");
    assert.equal(page.headers.get("cross-origin-embedder-policy"), "require-corp");
    const config = (await (await fetch(`${web.url}/config.json`)).json()) as { modelUrl: string };
    assert.equal(new URL(config.modelUrl, web.url).href, web.modelUrl);

    const size = statSync(modelPath).size;
    const head = await fetch(web.modelUrl, { headers: { Range: "bytes=0-15" } });
    assert.equal(head.status, 206);
    assert.equal(head.headers.get("content-range"), `bytes 0-15/${size}`);
    assert.deepEqual(Buffer.from(await head.arrayBuffer()), fileBytes(0, 16));
    const middle = await fetch(web.modelUrl, { headers: { Range: `bytes=${size >> 1}-${(size >> 1) + 4095}` } });
    assert.deepEqual(Buffer.from(await middle.arrayBuffer()), fileBytes(size >> 1, 4096));
    // validators, by which the page knows its cached chunks are still this file's
    assert.equal(head.headers.get("last-modified"), statSync(modelPath).mtime.toUTCString());
    assert.match(head.headers.get("etag") ?? "", /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(middle.headers.get("etag"), head.headers.get("etag"), "the same ETag for every range of the file");
    const tail = await fetch(web.modelUrl, { headers: { Range: "bytes=-100" } });
    assert.deepEqual(Buffer.from(await tail.arrayBuffer()), fileBytes(size - 100, 100));
    const beyond = await fetch(web.modelUrl, { headers: { Range: `bytes=${size}-` } });
    assert.equal(beyond.status, 416);
    // an escaped "../" decodes after URL normalisation: it must not leave the served folder
    const escape = await fetch(`${web.url}/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd`);
    assert.equal(escape.status, 404);
    assert.equal((await fetch(`${web.url}/%E0%A4%A`)).status, 400);
  } finally {
    assert.equal(await web.stop(), 0);
  }
});

test("gemma web --no-isolation sends no COOP/COEP headers", async () => {
  const web = await gemmaWeb(["--no-isolation"]);
  try {
    const page = await fetch(`${web.url}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("cross-origin-opener-policy"), null);
    assert.equal(page.headers.get("cross-origin-embedder-policy"), null);
  } finally {
    assert.equal(await web.stop(), 0);
  }
});
