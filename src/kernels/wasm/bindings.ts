import { GgmlType } from "../../quant/types.js";
import { attentionHeadRunner, type AttentionHeadRunner } from "./attention-task.js";
import { isSharedMemory, kernelModule } from "./module.js";

/**
 * The kernels' matrix product entry point (kernels/assembly/index.ts): out[t·outStride + r] =
 * dot(weight row r, activation row t) for r in [rowBegin, rowEnd), t < nTok. Pointers are byte addresses;
 * actStride is in bytes, outStride in floats.
 */
export type MatmulExport = (
  w: number, rows: number, cols: number, act: number, actStride: number, nTok: number,
  out: number, outStride: number, rowBegin: number, rowEnd: number,
) => void;

/** quantize_q8_*(x, n, out): n floats at x as one activation row at out. */
export type QuantizeExport = (x: number, n: number, out: number) => void;

/** The module's export for each weight type it multiplies, in a fixed order (pool workers get indices into it). */
export const MATMUL_EXPORTS: ReadonlyMap<number, string> = new Map<number, string>([
  [GgmlType.F32, "matmul_f32"],
  [GgmlType.F16, "matmul_f16"],
  [GgmlType.BF16, "matmul_bf16"],
  [GgmlType.Q4_0, "matmul_q4_0"],
  [GgmlType.Q4_1, "matmul_q4_1"],
  [GgmlType.Q5_0, "matmul_q5_0"],
  [GgmlType.Q5_1, "matmul_q5_1"],
  [GgmlType.Q8_0, "matmul_q8_0"],
  [GgmlType.IQ4_NL, "matmul_iq4_nl"],
  [GgmlType.Q2_K, "matmul_q2_k"],
  [GgmlType.Q3_K, "matmul_q3_k"],
  [GgmlType.Q4_K, "matmul_q4_k"],
  [GgmlType.Q5_K, "matmul_q5_k"],
  [GgmlType.Q6_K, "matmul_q6_k"],
  [GgmlType.IQ4_XS, "matmul_iq4_xs"],
]);

export const QUANTIZE_EXPORTS: ReadonlyMap<number, string> = new Map<number, string>([
  [GgmlType.Q8_0, "quantize_q8_0"],
  [GgmlType.Q8_1, "quantize_q8_1"],
  [GgmlType.Q8_K, "quantize_q8_k"],
]);

/** The dot-product passes of attention (kernels/assembly/attention.ts); byte addresses, strides in bytes unless named. */
export interface AttentionExports {
  /** scores[i·scoreStride + j] = f32(q_i·k_j): nq query rows of hd f64 at q, nKeys key rows of hd f32 kStride apart. */
  readonly scores: (q: number, nq: number, hd: number, k: number, kStride: number, nKeys: number, scores: number, scoreStride: number) => void;
  /** out[d] = f32(out[d] + w_j·v_j[d]) for j < nKeys in order: weights f32 at w, value rows vStride apart, hd outputs. */
  readonly values: (w: number, nKeys: number, v: number, vStride: number, out: number, hd: number) => void;
  /** n f32 at x as f64 at out. */
  readonly widen: (x: number, n: number, out: number) => void;
}

/** The per-token elementwise passes (kernels/assembly/elementwise.ts); byte addresses. */
export interface ElementwiseExports {
  /** y = RMSNorm(x)·w over n floats (y may be x), as src/kernels/ref/norm.ts's rmsNorm. */
  readonly rmsNorm: (x: number, w: number, y: number, n: number, eps: number) => void;
  /** Rotates nHeads heads at x in place; cs holds headDim/2 cosines then headDim/2 sines (ref/rope.ts ropeApply). */
  readonly ropeApply: (x: number, nHeads: number, headDim: number, cs: number) => void;
  /** gate = gelu(gate)·up over n floats, the tanh GELU in f64 as ref/gelu.ts geluTanh (tanh as V8's Math.tanh). */
  readonly gegluTanh: (gate: number, up: number, n: number) => void;
  /** gate = gelu(gate)·up over n floats, gelu from the f16-indexed f32 table at `table` (ref/gelu.ts geluFp16). */
  readonly gegluFp16: (gate: number, up: number, n: number, table: number) => void;
  /** x += y over n floats. */
  readonly add: (x: number, y: number, n: number) => void;
}

/**
 * An instance's matmul exports, indexed like MATMUL_EXPORTS, its quantizers by activation type, its attention passes,
 * its elementwise passes, and the per-head attention task over its memory (attention-task.ts).
 */
export interface KernelExports {
  readonly matmuls: readonly MatmulExport[];
  readonly quantizers: ReadonlyMap<number, QuantizeExport>;
  readonly attention: AttentionExports;
  readonly elementwise: ElementwiseExports;
  readonly attentionHead: AttentionHeadRunner;
}

/** Binds the exports of an instance of the kernel module on `memory`. */
export function bindExports(instance: WebAssembly.Instance, memory: WebAssembly.Memory): KernelExports {
  const exports = instance.exports as Record<string, unknown>;
  const matmuls = [...MATMUL_EXPORTS.values()].map((name) => exports[name] as MatmulExport);
  const quantizers = new Map<number, QuantizeExport>();
  for (const [type, name] of QUANTIZE_EXPORTS) quantizers.set(type, exports[name] as QuantizeExport);
  const attention: AttentionExports = {
    scores: exports["attn_scores"] as AttentionExports["scores"],
    values: exports["attn_values"] as AttentionExports["values"],
    widen: exports["widen_f64"] as AttentionExports["widen"],
  };
  const elementwise: ElementwiseExports = {
    rmsNorm: exports["rms_norm"] as ElementwiseExports["rmsNorm"],
    ropeApply: exports["rope_apply"] as ElementwiseExports["ropeApply"],
    gegluTanh: exports["geglu_tanh"] as ElementwiseExports["gegluTanh"],
    gegluFp16: exports["geglu_fp16"] as ElementwiseExports["gegluFp16"],
    add: exports["add_f32"] as ElementwiseExports["add"],
  };
  return { matmuls, quantizers, attention, elementwise, attentionHead: attentionHeadRunner(attention, memory) };
}

/** Instantiates the kernel module (the ordinary or the shared-memory variant, as `memory` is) on `memory`. */
export async function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<KernelExports> {
  return bindExports(await WebAssembly.instantiate(module, { env: { memory } }), memory);
}

/** The compiled module that fits `memory`. */
export function moduleFor(memory: WebAssembly.Memory): Promise<WebAssembly.Module> {
  return kernelModule(isSharedMemory(memory));
}
