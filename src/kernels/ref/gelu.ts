import { f16ToF32, f32ToF16 } from "../../util/half.js";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** tanh-approximation GELU, the activation of every Gemma (gemma-architecture.md §1.0). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * x * (1 + 0.044715 * x * x)));
}

const f = Math.fround;
const SQRT_2_OVER_PI_F32 = f(SQRT_2_OVER_PI);
const COEF_A_F32 = f(0.044715);

/** GELU with every step rounded to f32, as ggml_gelu_f32 computes the entries of its table. */
function geluTanhF32(x: number): number {
  const inner = f(f(SQRT_2_OVER_PI_F32 * x) * f(1 + f(f(COEF_A_F32 * x) * x)));
  return f(f(f(0.5 * x) * f(1 + f(Math.tanh(inner)))));
}

let fp16Table: Float32Array | undefined;

/** GELU of each f16 value (indexed by its bits), rounded to f16, as f32: ggml's table; built on first use. */
export function fp16GeluTable(): Float32Array {
  if (!fp16Table) {
    fp16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) fp16Table[i] = f16ToF32(f32ToF16(geluTanhF32(f16ToF32(i))));
  }
  return fp16Table;
}

/**
 * ggml's CPU GELU: the input rounded to f16 looks up an f16 table of GELU, with |x| >= 10 passed through
 * (ggml-org/llama.cpp:ggml/src/ggml-cpu/vec.h, GGML_GELU_FP16). Emulated only to compare with llama.cpp tightly.
 */
export function geluFp16(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return x;
  return fp16GeluTable()[f32ToF16(x)]!;
}

/** GeGLU in place: gate[i] = gelu(gate[i]) · up[i] for n elements. */
export function geglu(heap: Float32Array, gate: number, up: number, n: number, fp16: boolean): void {
  const g = fp16 ? geluFp16 : geluTanh;
  for (let i = 0; i < n; i++) heap[gate + i] = g(heap[gate + i]!) * heap[up + i]!;
}
