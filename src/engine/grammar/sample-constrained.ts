import type { TokenConstraint } from "./constraint.js";

/**
 * Samples under a constraint without masking on most steps: draw from the unconstrained logits and keep the
 * token if the constraint allows it; only otherwise mask the logits (in place) and draw again. llama.cpp's
 * common_sampler_sample does the same unless asked for grammar_first (ggml-org/llama.cpp:common/sampling.cpp).
 * It favours tokens the model already prefers over the renormalized distribution that masking every step
 * would draw from, and saves a mask on most steps. `sample` must not modify the logits.
 */
export function sampleConstrained(
  logits: Float32Array,
  constraint: TokenConstraint,
  sample: (logits: Float32Array) => number,
): number {
  const first = sample(logits);
  if (constraint.allows(first)) return first;
  constraint.mask(logits);
  return sample(logits);
}
