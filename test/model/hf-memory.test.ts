import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";

/**
 * Peak memory of loading a Hugging Face folder: a generated BF16 Gemma 2 model of ~400 MB (random bytes, never
 * computed with) loaded through loadModel in a child process. Weights go tensor by tensor, in 4 MiB pieces, into
 * the arena, so the peak resident set (VmHWM) may grow by the weights plus little more, never by two copies.
 * The "little more" is mostly read buffers waiting for V8's next collection (ByteSource.read returns a new buffer
 * per piece; V8 collects after some tens of MB of them): about 0.09 x here, a fixed amount, not a share of the file.
 */
const HIDDEN = 1024;
const FFN = 4096;
const LAYERS = 13;
const HEADS = 8;
const KV_HEADS = 4;
const HEAD_DIM = 128;
const TOKENIZER = "test/fixtures/tiny/gemma3-mm-bf16/tokenizer.json";
const TOKENIZER_SIZE = 281;

function writeModel(dir: string): number {
  const shapes = new Map<string, number[]>([["model.embed_tokens.weight", [TOKENIZER_SIZE, HIDDEN]], ["model.norm.weight", [HIDDEN]]]);
  for (let i = 0; i < LAYERS; i++) {
    const p = `model.layers.${i}.`;
    for (const n of ["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"]) {
      shapes.set(`${p}${n}.weight`, [HIDDEN]);
    }
    shapes.set(`${p}self_attn.q_proj.weight`, [HEADS * HEAD_DIM, HIDDEN]);
    shapes.set(`${p}self_attn.k_proj.weight`, [KV_HEADS * HEAD_DIM, HIDDEN]);
    shapes.set(`${p}self_attn.v_proj.weight`, [KV_HEADS * HEAD_DIM, HIDDEN]);
    shapes.set(`${p}self_attn.o_proj.weight`, [HIDDEN, HEADS * HEAD_DIM]);
    shapes.set(`${p}mlp.gate_proj.weight`, [FFN, HIDDEN]);
    shapes.set(`${p}mlp.up_proj.weight`, [FFN, HIDDEN]);
    shapes.set(`${p}mlp.down_proj.weight`, [HIDDEN, FFN]);
  }
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 2);
    header[name] = { dtype: "BF16", shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const fd = openSync(join(dir, "model.safetensors"), "w");
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, length);
  writeSync(fd, json);
  const chunk = Buffer.alloc(1 << 22);
  for (let left = offset; left > 0; left -= chunk.length) writeSync(fd, randomFillSync(chunk), 0, Math.min(left, chunk.length));
  closeSync(fd);
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      model_type: "gemma2",
      hidden_size: HIDDEN,
      intermediate_size: FFN,
      num_hidden_layers: LAYERS,
      num_attention_heads: HEADS,
      num_key_value_heads: KV_HEADS,
      head_dim: HEAD_DIM,
      vocab_size: TOKENIZER_SIZE,
    }),
  );
  copyFileSync(TOKENIZER, join(dir, "tokenizer.json"));
  return 8 + json.length + offset;
}

// Modules are imported before the baseline, so it covers the code; VmHWM is the kernel's peak resident set.
// One thread: the worker pool of a multi-threaded load adds a fixed cost (a V8 isolate per worker, ~40 MB here)
// that does not grow with the model; README states it.
const CHILD = `
import { readFileSync } from "node:fs";
const hwm = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
const { loadModel } = await import(${JSON.stringify(resolve("src/platform/node/model-file.ts"))});
const before = hwm();
const model = await loadModel(process.argv[1], { threads: 1 });
console.log(JSON.stringify({ before, after: hwm(), weightBytes: model.info.weightBytes, type: model.weights.layers[0].wq.type }));
`;

test("loading a ~400 MB BF16 folder raises peak RSS by at most 1.15 x its file size", { skip: process.platform !== "linux" }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), "gemma-hf-rss-"));
  try {
    const fileBytes = writeModel(dir);
    const out = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD, dir], { encoding: "utf8" });
    const { before, after, weightBytes, type } = JSON.parse(out.trim().split("\n").pop()!) as Record<string, number>;
    assert.equal(type, 30); // BF16 kept as stored
    assert.ok(weightBytes > 0.99 * fileBytes, `${weightBytes} weight bytes of a ${fileBytes}-byte file`);
    const growth = after! - before!;
    t.diagnostic(`file ${fileBytes} bytes, peak RSS ${before} -> ${after} (+${(growth / fileBytes).toFixed(3)} x the file)`);
    assert.ok(growth <= 1.15 * fileBytes, `peak RSS grew by ${growth} bytes = ${(growth / fileBytes).toFixed(3)} x the ${fileBytes}-byte file`);
    assert.ok(growth >= 0.9 * fileBytes, `peak RSS grew by only ${growth} bytes: were the weights loaded?`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
