import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { kernelBuild } from "../../src/kernels/wasm/module.js";

/*
 * The relaxed-SIMD build of the kernels equals the reference twins bit for bit (run in a child process that enables
 * relaxed SIMD and, on Node 20, turns off the baseline compiler that miscompiles it), its start-up self-test passes
 * there, and Node 20/21 never choose it.
 */
const major = Number(process.versions.node.split(".")[0]);

describe("relaxed-SIMD kernels", () => {
  it("are not chosen on Node 20 and 21", async () => {
    if (major < 22) assert.equal(await kernelBuild(), "simd128");
  });

  it("equal the reference twins, and the self-test agrees", () => {
    const flags = major < 22 ? ["--experimental-wasm-relaxed-simd", "--no-liftoff"] : [];
    const script = fileURLToPath(new URL("./relaxed-twin-check.ts", import.meta.url));
    const r = spawnSync(process.execPath, [...flags, "--import", "tsx", script], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { checked: number; mismatches: string[]; selfTest: boolean };
    assert.deepEqual(result.mismatches, []);
    assert.ok(result.checked > 0);
    assert.equal(result.selfTest, true);
  });
});
