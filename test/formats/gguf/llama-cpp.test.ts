// Files from our writer load and run in llama.cpp (node-llama-cpp, in a child process), and files
// with a bad data layout are refused both by llama.cpp and by our reader.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readGguf } from "../../../src/formats/gguf/index.js";
import { writeGgufPath } from "../../../src/platform/node/gguf-files.js";
import { memorySource } from "../../../src/util/byte-source.js";
import { GemmaError } from "../../../src/util/errors.js";
import { tinyGemma3, tinyVocab } from "./tiny-gemma3.js";

const run = promisify(execFile);

interface LoadResult {
  modelPath: string;
  loaded: boolean;
  nLogits?: number;
  finite?: boolean;
  error?: string;
}

/**
 * One child process per file: after some failed loads node-llama-cpp 3.22.1 was seen to end the
 * process silently on the next load, so files are not loaded one after another in one process.
 */
async function loadInLlamaCpp(path: string): Promise<LoadResult> {
  const { stdout, stderr } = await run(process.execPath, [join(import.meta.dirname, "llama-load.child.mjs"), path], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const last = stdout.trim().split("\n").at(-1);
  assert.ok(last, `no result from llama.cpp for ${path}; stderr:\n${stderr}`);
  return (JSON.parse(last) as LoadResult[])[0]!;
}

/** Byte offset of the u64 data offset in the tensor info record of `name`. */
function tensorOffsetField(bytes: Uint8Array, name: string, nDims: number): number {
  const rec = Buffer.concat([Buffer.from(new BigUint64Array([BigInt(name.length)]).buffer), Buffer.from(name)]);
  const at = Buffer.from(bytes).indexOf(rec);
  assert.ok(at > 0, name);
  return at + rec.length + 4 + 8 * nDims + 4;
}

async function readError(bytes: Uint8Array): Promise<string> {
  try {
    await readGguf(memorySource("bad", bytes));
  } catch (e) {
    assert.ok(e instanceof GemmaError, String(e));
    return e.code;
  }
  return "no error";
}

test("llama.cpp runs a gemma3 model from our writer and refuses the bad layouts our reader refuses", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gguf-llama-"));
  try {
    const good = join(dir, "tiny-gemma3.gguf");
    const { entries, tensors } = tinyGemma3();
    await writeGgufPath(good, entries, tensors);
    const bytes = new Uint8Array(readFileSync(good));
    const second = tensors[1]!; // output_norm.weight, right after token_embd.weight
    const field = tensorOffsetField(bytes, second.name, second.dims.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const declared = Number(view.getBigUint64(field, true));

    const variants: [string, string, (b: Uint8Array) => Uint8Array][] = [
      // the second tensor starts inside the first
      ["overlap", "GGUF_TENSOR_OVERLAP", (b) => setU64(b, field, declared - 32)],
      // the second tensor's offset is not a multiple of the alignment
      ["misaligned", "GGUF_BAD_ALIGNMENT", (b) => setU64(b, field, declared + 4)],
      // the second tensor lies past the end of the file
      ["past-end", "GGUF_TENSOR_OUT_OF_BOUNDS", (b) => setU64(b, field, b.length)],
      // the file is cut short inside the last tensor
      ["truncated", "GGUF_TENSOR_OUT_OF_BOUNDS", (b) => b.slice(0, b.length - 100)],
    ];
    const paths = [good];
    for (const [name, code, mutate] of variants) {
      const bad = mutate(bytes.slice());
      assert.equal(await readError(bad), code, name);
      const p = join(dir, `${name}.gguf`);
      writeFileSync(p, bad);
      paths.push(p);
    }

    const [ok, ...refused] = await Promise.all(paths.map(loadInLlamaCpp));
    assert.equal(ok!.loaded, true, ok!.error);
    assert.equal(ok!.nLogits, tinyVocab().tokens.length);
    assert.equal(ok!.finite, true);
    for (const r of refused) assert.equal(r.loaded, false, `llama.cpp loaded ${r.modelPath}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function setU64(b: Uint8Array, at: number, v: number): Uint8Array {
  new DataView(b.buffer, b.byteOffset).setBigUint64(at, BigInt(v), true);
  return b;
}
