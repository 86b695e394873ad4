/**
 * RMSNorm: y = x / sqrt(mean(x²) + eps) · w. GGUF norm weights already hold Gemma's (1 + w); Hugging Face weights
 * get the +1 at load, so every caller passes the effective multiplier. The sum runs in double and the scale is
 * rounded to f32, as ggml's CPU rms_norm does (ggml-org/llama.cpp:ggml/src/ggml-cpu/ops.cpp, rms_norm_f32).
 */
export function rmsNorm(
  heap: Float32Array,
  x: number, // [n] f32 address (in floats)
  w: number, // [n] f32 address (in floats)
  y: number, // [n] f32 address (in floats); may equal x
  n: number,
  eps: number,
): void {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = heap[x + i]!;
    sum += v * v;
  }
  const scale = Math.fround(1 / Math.sqrt(Math.fround(sum / n) + eps));
  for (let i = 0; i < n; i++) heap[y + i] = Math.fround(heap[x + i]! * scale) * heap[w + i]!;
}
