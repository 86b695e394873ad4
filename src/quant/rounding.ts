/*
 * Float-to-integer roundings used by ggml's quantizers, for values that are exact f32 numbers of
 * magnitude well below 2^22 (so every intermediate below is exact in double precision).
 */

/**
 * Nearest integer, ties to even: x86 `_mm256_round_ps(_MM_ROUND_NEAREST)` and ggml's `nearest_int`
 * (adding 1.5·2^23 in f32), ggml-org/llama.cpp:ggml/src/ggml-quants.c.
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +infinity
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** Nearest integer, ties away from zero: C `roundf`. */
export function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(0.5 - v) : Math.floor(v + 0.5);
}
