import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { main } from "../../src/cli/main.js";
import { createQuantizePool } from "../../src/platform/node/quantize-pool.js";
import { quantizeRowsNow } from "../../src/model/convert/quantize-rows.js";
import { GgmlType } from "../../src/quant/types.js";
import { isGemmaError } from "../../src/util/errors.js";
import { TINY_FOLDERS, writeTinyFolder } from "../helpers/hf-tiny-folders.js";
import { rng } from "../helpers/rng.js";

/**
 * Quantization on worker threads in `gemma convert`: the files written with -t 3 and -t 1 are byte for byte the
 * same (q4_k_m, whose K-quant scale search is the slow part, and q8_0), and the pool's rows equal quantizeRow's on
 * this thread for row counts that do not divide evenly among the threads. (Whether one thread's bytes are
 * llama-quantize's is convert.test.ts's check.)
 */
const work = mkdtempSync(join(tmpdir(), "gemma-convert-threads-"));
after(() => rmSync(work, { recursive: true, force: true }));

const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

async function convertWith(folder: string, type: string, threads: number): Promise<Buffer> {
  const out = join(work, `${type}-t${threads}.gguf`);
  assert.equal(await main(["convert", folder, out, "--type", type, "-t", String(threads)], { stdout: quiet, stderr: quiet }), 0);
  return readFileSync(out);
}

describe("gemma convert on several threads", () => {
  const folder = join(work, "gemma3-256");
  writeTinyFolder(folder, TINY_FOLDERS["gemma3-256"]!);

  for (const type of ["q4_k_m", "q8_0"]) {
    it(`${type}: -t 3 writes the bytes -t 1 writes`, async () => {
      const one = await convertWith(folder, type, 1);
      const three = await convertWith(folder, type, 3);
      assert.equal(three.length, one.length);
      assert.ok(three.equals(one), `${type}: the files differ`);
    });
  }

  it("the pool encodes any number of rows as quantizeRow does, and passes errors on", async () => {
    const pool = createQuantizePool(3);
    try {
      const random = rng(7);
      for (const [type, rows] of [[GgmlType.Q4_K, 5], [GgmlType.Q6_K, 1], [GgmlType.Q8_0, 7]] as const) {
        const x = Float32Array.from({ length: rows * 256 }, () => random() * 2 - 1);
        const expected = quantizeRowsNow(type, x, 256);
        assert.deepEqual(await pool.quantizeRows(type, x.slice(), 256), expected);
      }
      // Q5_K has a row size but no quantizer: the threads' GemmaError comes back with its code
      await assert.rejects(
        pool.quantizeRows(GgmlType.Q5_K, new Float32Array(512), 256),
        (e: unknown) => isGemmaError(e) && e.code === "UNSUPPORTED_TENSOR_TYPE" && /Q5_K/.test(e.message),
      );
      await assert.rejects(pool.quantizeRows(GgmlType.Q4_K, new Float32Array(200), 100), (e: unknown) => isGemmaError(e) && e.code === "BAD_TENSOR_SHAPE");
    } finally {
      await pool.close();
    }
  });
});
