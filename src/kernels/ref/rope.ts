/**
 * Rotary position embedding in the rotate-half ("NEOX") layout that every Gemma uses: element j pairs with
 * j + d/2. Angles follow ggml's CPU recurrence in f32: theta_0 = p, theta_{i+1} = theta_i · base^(-2/d), each
 * multiplied by the linear-scaling factor (ggml-org/llama.cpp:ggml/src/ggml-cpu/ops.cpp, ggml_rope_cache_init),
 * so our angles round the way llama.cpp's do.
 */
export function ropeAngles(
  cos: Float32Array, // [headDim/2] out
  sin: Float32Array, // [headDim/2] out
  pos: number,
  headDim: number,
  base: number,
  freqScale: number,
): void {
  const thetaScale = Math.fround(Math.pow(base, -2 / headDim));
  let theta = Math.fround(pos);
  for (let i = 0; i < headDim / 2; i++) {
    const t = Math.fround(freqScale * theta);
    cos[i] = Math.cos(t);
    sin[i] = Math.sin(t);
    theta = Math.fround(theta * thetaScale);
  }
}

/** Rotates `nHeads` heads of `headDim` floats at `x` in place with precomputed angles. */
export function ropeApply(heap: Float32Array, x: number, nHeads: number, headDim: number, cos: Float32Array, sin: Float32Array): void {
  const half = headDim / 2;
  for (let h = 0; h < nHeads; h++) {
    const o = x + h * headDim;
    for (let i = 0; i < half; i++) {
      const a = heap[o + i]!;
      const b = heap[o + i + half]!;
      heap[o + i] = a * cos[i]! - b * sin[i]!;
      heap[o + i + half] = a * sin[i]! + b * cos[i]!;
    }
  }
}
