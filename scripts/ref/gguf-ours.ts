// Writes test/golden/gguf/ours-edge.gguf with OUR writer (from test/formats/gguf/our-fixtures.ts)
// and has gguf-py's GGUFReader report on it (test/golden/gguf/ours-edge.gguf-py-report.json).
// test/formats/gguf/writer.test.ts checks that the writer still produces these exact bytes and that
// gguf-py's report equals what was written.
// Run: node --import tsx scripts/ref/gguf-ours.ts
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { edgeCaseModel } from "../../test/formats/gguf/our-fixtures.js";

const dir = join(import.meta.dirname, "../../test/golden/gguf");
const file = join(dir, "ours-edge.gguf");
const { entries, tensors, alignment } = edgeCaseModel();
await writeGgufPath(file, entries, tensors, { alignment });
const python = process.env.REF_PYTHON ?? "/root/venv-ref/bin/python";
execFileSync(python, [join(import.meta.dirname, "gguf-fixtures.py"), "--report", file, join(dir, "ours-edge.gguf-py-report.json")], {
  stdio: "inherit",
});
console.error(`wrote ${file} and its gguf-py report`);
