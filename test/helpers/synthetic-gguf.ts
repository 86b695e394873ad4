import { ggufValue, type GgufWriteTensor } from "../../src/formats/gguf/index.js";
import type { GgufEntry } from "../../src/formats/gguf/value-types.js";
import { openGgufPath, writeGgufPath } from "../../src/platform/node/gguf-files.js";
import { GgmlType, rowBytes } from "../../src/quant/types.js";
import { f32ToF16 } from "../../src/util/half.js";
import { rng } from "./rng.js";

/**
 * Random-weight Gemma 3 GGUF files of any shape, written with our GGUF writer: the tokenizer and the other
 * metadata come from the tiny Gemma 3 fixture (298 tokens, sliding window 8, 5 local : 1 global layers), the
 * dimensions from the spec. Weights are seeded, so a spec always gives the same bytes.
 */
export interface SyntheticSpec {
  readonly dModel: number;
  readonly dFfn: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly nLayers: number;
  /** Matrix type: F32 or Q8_0 (norms are F32). */
  readonly type: number;
  readonly seed: number;
}

const TINY_GEMMA3 = "test/fixtures/tiny/gemma3.gguf";

/** Bytes the spec's tensors take (without the header). */
export function syntheticWeightBytes(s: SyntheticSpec, vocab = 298): number {
  const qDim = s.nHeads * s.headDim;
  const kvDim = s.nKvHeads * s.headDim;
  const m = (rows: number, cols: number) => rows * rowBytes(s.type, cols);
  const layer = m(qDim, s.dModel) + 2 * m(kvDim, s.dModel) + m(s.dModel, qDim) + 3 * m(s.dFfn, s.dModel) + 4 * (4 * s.dModel + 2 * s.headDim);
  return m(vocab, s.dModel) + 4 * s.dModel + s.nLayers * layer;
}

export async function writeSyntheticGemma3(path: string, s: SyntheticSpec): Promise<void> {
  const src = await openGgufPath(TINY_GEMMA3);
  let meta: (readonly [string, GgufEntry])[];
  let vocab: number;
  try {
    vocab = src.tensor("token_embd.weight")!.dims[1]!;
    const dims: Record<string, GgufEntry> = {
      "gemma3.embedding_length": ggufValue.u32(s.dModel),
      "gemma3.feed_forward_length": ggufValue.u32(s.dFfn),
      "gemma3.block_count": ggufValue.u32(s.nLayers),
      "gemma3.attention.head_count": ggufValue.u32(s.nHeads),
      "gemma3.attention.head_count_kv": ggufValue.u32(s.nKvHeads),
      "gemma3.attention.key_length": ggufValue.u32(s.headDim),
      "gemma3.attention.value_length": ggufValue.u32(s.headDim),
      "general.name": ggufValue.string("synthetic-gemma3"),
      "general.file_type": ggufValue.u32(s.type === GgmlType.Q8_0 ? 7 : 0),
    };
    meta = [...src.metadata.entries()].map(([k, e]) => [k, dims[k] ?? e] as const);
  } finally {
    await src.close();
  }
  const random = rng(s.seed);
  const tensors: GgufWriteTensor[] = [];
  const matrix = (name: string, cols: number, rows: number) =>
    tensors.push({ name, dims: [cols, rows], type: s.type, data: async () => randomMatrix(s.type, rows, cols, random) });
  const norm = (name: string, n: number) => {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = 0.8 + 0.4 * random();
    tensors.push({ name, dims: [n], type: GgmlType.F32, data: new Uint8Array(v.buffer) });
  };
  const qDim = s.nHeads * s.headDim;
  const kvDim = s.nKvHeads * s.headDim;
  matrix("token_embd.weight", s.dModel, vocab);
  norm("output_norm.weight", s.dModel);
  for (let i = 0; i < s.nLayers; i++) {
    const b = `blk.${i}.`;
    norm(`${b}attn_norm.weight`, s.dModel);
    matrix(`${b}attn_q.weight`, s.dModel, qDim);
    matrix(`${b}attn_k.weight`, s.dModel, kvDim);
    matrix(`${b}attn_v.weight`, s.dModel, kvDim);
    matrix(`${b}attn_output.weight`, qDim, s.dModel);
    norm(`${b}attn_q_norm.weight`, s.headDim);
    norm(`${b}attn_k_norm.weight`, s.headDim);
    norm(`${b}post_attention_norm.weight`, s.dModel);
    norm(`${b}ffn_norm.weight`, s.dModel);
    norm(`${b}post_ffw_norm.weight`, s.dModel);
    matrix(`${b}ffn_gate.weight`, s.dModel, s.dFfn);
    matrix(`${b}ffn_up.weight`, s.dModel, s.dFfn);
    matrix(`${b}ffn_down.weight`, s.dFfn, s.dModel);
  }
  await writeGgufPath(path, meta, tensors);
}

/**
 * rows × cols random weights of standard deviation about 1/sqrt(cols), so that every matrix product of normalized
 * activations stays near unit scale however large the model. A xorshift stream seeded from the spec's generator
 * fills them, fast enough for multi-GiB files; Q8_0 blocks are drawn directly (an f16 scale and 32 levels).
 */
function randomMatrix(type: number, rows: number, cols: number, random: () => number): Uint8Array {
  const n = rows * cols;
  let x = (random() * 0xffffffff) | 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  if (type === GgmlType.Q8_0) {
    const out = new Uint8Array((n / 32) * 34);
    // Levels uniform in [-127, 127] have a standard deviation of about 73.
    const scale = 1 / (73 * Math.sqrt(cols));
    for (let o = 0; o < out.length; o += 34) {
      const h = f32ToF16(scale * (0.5 + next() / 4294967296));
      out[o] = h & 0xff;
      out[o + 1] = h >>> 8;
      for (let j = 0; j < 32; j += 4) {
        const r = next();
        out[o + 2 + j] = (r % 255) - 127;
        out[o + 3 + j] = ((r >>> 8) % 255) - 127;
        out[o + 4 + j] = ((r >>> 16) % 255) - 127;
        out[o + 5 + j] = ((r >>> 24) % 255) - 127;
      }
    }
    return out;
  }
  if (type !== GgmlType.F32) throw new Error(`synthetic weights of type ${type} are not implemented`);
  // Slices of one pool of random floats at random offsets: quick enough for a multi-GiB file.
  const pool = f32Pool();
  const v = new Float32Array(n);
  const amp = Math.sqrt(3 / cols);
  for (let done = 0; done < n; ) {
    const from = next() % pool.length;
    const k = Math.min(n - done, pool.length - from);
    v.set(pool.subarray(from, from + k), done);
    done += k;
  }
  // Uniform in [-amp, amp]: standard deviation amp/sqrt(3) = 1/sqrt(cols).
  for (let i = 0; i < n; i++) v[i] = amp * v[i]!;
  return new Uint8Array(v.buffer);
}

let pool: Float32Array | undefined;
/** 4 Mi floats uniform in [-1, 1), the same in every run. */
function f32Pool(): Float32Array {
  if (!pool) {
    const random = rng(1);
    pool = new Float32Array(1 << 22);
    for (let i = 0; i < pool.length; i++) pool[i] = 2 * random() - 1;
  }
  return pool;
}
