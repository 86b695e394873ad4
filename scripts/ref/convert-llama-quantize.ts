// What llama.cpp's own quantizer makes of our converted files: for each tiny folder of
// test/helpers/hf-tiny-folders.ts, `gemma convert --type f32` (the library call), then
// `llama-quantize F32.gguf OUT.gguf Q4_K_M|Q4_0|Q8_0`; records each output tensor's ggml type and the sha256
// of its bytes in test/golden/model/convert-llama-quantize.json. test/model/convert.test.ts checks that our
// --type q4_k_m|q4_0|q8_0 gives the same types and the same bytes.
//
// Needs a llama-quantize built from the llama.cpp sources behind node-llama-cpp (see references.md), e.g.
//   git clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle /root/llama-src
//   cmake -S /root/llama-src -B /root/llama-build -DCMAKE_BUILD_TYPE=Release && cmake --build /root/llama-build --target llama-quantize
// Run: LLAMA_QUANTIZE=/root/llama-build/bin/llama-quantize node --import tsx scripts/ref/convert-llama-quantize.ts
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planHfToGguf } from "../../src/model/convert/hf-to-gguf.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { openHfFolderPath } from "../../src/platform/node/hf-folder.js";
import { typeName } from "../../src/quant/types.js";
import { TINY_FOLDERS, writeTinyFolder } from "../../test/helpers/hf-tiny-folders.js";

const quantizer = process.env.LLAMA_QUANTIZE ?? "/root/llama-build/bin/llama-quantize";
const out = join(import.meta.dirname, "../../test/golden/model/convert-llama-quantize.json");
const FTYPES = ["Q4_K_M", "Q4_0", "Q8_0"] as const;

const work = mkdtempSync(join(tmpdir(), "convert-llama-quantize-"));
let buildLine = "";
const models: Record<string, Record<string, Record<string, { type: string; sha256: string }>>> = {};
try {
  for (const [name, spec] of Object.entries(TINY_FOLDERS)) {
    const dir = join(work, name);
    writeTinyFolder(dir, spec);
    const folder = await openHfFolderPath(dir);
    const plan = await planHfToGguf(folder, { type: "f32" });
    const f32 = join(work, `${name}-f32.gguf`);
    await writeGgufPath(f32, plan.metadata, plan.tensors);
    await folder.close();
    models[name] = {};
    for (const ftype of FTYPES) {
      const q = join(work, `${name}-${ftype}.gguf`);
      const run = spawnSync(quantizer, [f32, q, ftype], { encoding: "utf8" });
      if (run.status !== 0) throw new Error(`${quantizer} ${ftype} failed: ${run.stderr}`);
      const log = run.stdout + run.stderr;
      buildLine ||= /^version: .*/m.exec(log)?.[0] ?? "";
      const file = await openGgufPath(q);
      const tensors: Record<string, { type: string; sha256: string }> = {};
      for (const t of file.tensors) {
        const bytes = await t.source.read(t.offset, t.byteSize);
        tensors[t.name] = { type: typeName(t.type), sha256: createHash("sha256").update(bytes).digest("hex") };
      }
      await file.close();
      models[name][ftype] = tensors;
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const llamaCommit = execFileSync("git", ["-C", "/root/llama-src", "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
writeFileSync(
  out,
  JSON.stringify(
    { generator: "scripts/ref/convert-llama-quantize.ts", versions: { llamaQuantize: buildLine, llamaCppCommit: llamaCommit }, models },
    null,
    1,
  ) + "\n",
);
console.error(`wrote ${out}`);
