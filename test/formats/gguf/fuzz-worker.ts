// Worker side of fuzz.test.ts: parses every fuzz input and checks that it either yields a
// consistent file or a GemmaError. Posts {kind:"start", index} before each input so the main thread
// can tell which input stalled, then {kind:"done"} or {kind:"fail"}.
import assert from "node:assert/strict";
import { parentPort, workerData } from "node:worker_threads";
import { type GgufFile, openGguf, readGguf, writeGguf } from "../../../src/formats/gguf/index.js";
import { typeTraits } from "../../../src/quant/types.js";
import { type ByteSource, memorySource } from "../../../src/util/byte-source.js";
import { GemmaError } from "../../../src/util/errors.js";
import { ggufFields } from "./fuzz-fields.js";
import { type Base, type FuzzInput, mutated, truncations } from "./fuzz-inputs.js";
import { golden, memoryOpener, memorySink } from "./helpers.js";

interface Job {
  seed: number;
  randomInputs: number;
  fixtures: string[];
  /** Fixed bytes a parse may request beyond the input size (none expected: each byte is read once). */
  readAllowance: number;
}
const job = workerData as Job;
const post = (m: unknown) => parentPort!.postMessage(m);

/** A source that records how many bytes the reader asked for. */
function counting(inner: ByteSource): ByteSource & { requested: number } {
  const s = {
    name: inner.name,
    size: inner.size,
    requested: 0,
    read(offset: number, length: number) {
      s.requested += length;
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  return s;
}

/** What must hold for any file the reader accepts, checked independently of the reader's own checks. */
async function checkConsistent(f: GgufFile, size: number): Promise<void> {
  assert.ok(f.alignment > 0 && (f.alignment & (f.alignment - 1)) === 0);
  const spans = f.tensors.map((t) => {
    const traits = typeTraits(t.type);
    assert.ok(traits, `type ${t.type}`);
    assert.ok(t.dims.length >= 1 && t.dims.length <= 4 && t.dims.every((d) => Number.isSafeInteger(d) && d >= 1));
    assert.equal(t.nElements, t.dims.reduce((a, b) => a * b, 1));
    assert.equal(t.byteSize, (t.nElements / traits.blockSize) * traits.typeSize);
    assert.ok(t.offset >= f.dataOffset && t.offset + t.byteSize <= size, `${t.name} in bounds`);
    assert.equal((t.offset - f.dataOffset) % f.alignment, 0);
    return [t.offset, t.offset + t.byteSize] as const;
  });
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], "tensors overlap");
  assert.equal(new Set(f.tensors.map((t) => t.name)).size, f.tensors.length);
  // whatever was accepted must survive a write and a re-read unchanged
  const tensors = await Promise.all(f.tensors.map(async (t) => ({ name: t.name, dims: t.dims, type: t.type, data: await f.readTensor(t) })));
  const out = memorySink();
  await writeGguf(out.sink, f.metadata.entries(), tensors);
  const again = await readGguf(memorySource("rewritten", out.bytes()));
  assert.deepEqual([...again.metadata.entries()], [...f.metadata.entries()]);
  assert.deepEqual(
    again.tensors.map((t) => [t.name, t.dims, t.type]),
    f.tensors.map((t) => [t.name, t.dims, t.type]),
  );
}

async function runOne(input: FuzzInput): Promise<"parsed" | "refused"> {
  const src = counting(memorySource("fuzz", input.bytes));
  let f: GgufFile;
  try {
    f = await readGguf(src);
  } catch (e) {
    if (!(e instanceof GemmaError)) throw e;
    assert.ok(e.message.startsWith("fuzz: "), `error message names the file: ${e.message}`);
    assert.ok(src.requested <= input.bytes.length + job.readAllowance, `requested ${src.requested} bytes of ${input.bytes.length}`);
    return "refused";
  }
  assert.ok(src.requested <= input.bytes.length + job.readAllowance, `requested ${src.requested} bytes of ${input.bytes.length}`);
  await checkConsistent(f, input.bytes.length);
  return "parsed";
}

const SPLIT = ["split-00001-of-00003.gguf", "split-00002-of-00003.gguf", "split-00003-of-00003.gguf"];

/** A mutated shard opened as part of its split set: a GemmaError or a consistent merged model. */
async function runSplit(input: FuzzInput): Promise<void> {
  if (!SPLIT.includes(input.base)) return;
  const files = new Map(SPLIT.map((n) => [n, n === input.base ? input.bytes : golden(n)]));
  let f: GgufFile;
  try {
    f = await openGguf(memoryOpener(files), SPLIT[0]!);
  } catch (e) {
    if (!(e instanceof GemmaError)) throw e;
    return;
  }
  assert.equal(new Set(f.tensors.map((t) => t.name)).size, f.tensors.length);
  const declared = f.metadata.optionalNumber("split.tensors.count");
  if (declared !== undefined) assert.equal(f.tensors.length, declared);
  for (const t of f.tensors) assert.ok(t.offset + t.byteSize <= t.source.size, `${t.name} in bounds`);
  await f.close();
}

const bases: Base[] = job.fixtures.map((name) => {
  const bytes = golden(name);
  return { name, bytes, fields: ggufFields(bytes) };
});
const systematic = truncations(bases);
const total = systematic.length + job.randomInputs;
const counts = { parsed: 0, refused: 0 };
const heapStart = process.memoryUsage();
let heapPeak = 0;
let externalPeak = 0;
for (let i = 0; i < total; i++) {
  const input = i < systematic.length ? systematic[i]! : mutated(bases, job.seed, i - systematic.length);
  post({ kind: "start", index: i, what: input.what });
  try {
    counts[await runOne(input)]++;
    await runSplit(input);
  } catch (e) {
    post({ kind: "fail", index: i, what: input.what, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  }
  if (i % 256 === 0) {
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed - heapStart.heapUsed);
    externalPeak = Math.max(externalPeak, m.arrayBuffers - heapStart.arrayBuffers);
  }
}
post({ kind: "done", total, systematic: systematic.length, counts, heapPeak, externalPeak });
