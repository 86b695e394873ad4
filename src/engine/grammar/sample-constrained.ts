import type { TokenConstraint } from "./constraint.js";

/**
 * Samples under a constraint without masking on most steps: draw from the unconstrained logits and keep the
 * token if the constraint allows it; only otherwise mask the logits (in place) and draw again. This is the
 * order llama.cpp's common sampler uses (ggml-org/llama.cpp:common/sampling.cpp, grammar check first), which
 * favours tokens the model already prefers; masking every step would draw from the exact renormalized
 * distribution at the cost of a mask per step. `sample` must not modify the logits.
 */
export function sampleConstrained(logits: Float32Array, constraint: TokenConstraint, sample: (logits: Float32Array) => number): number {
  const first = sample(logits);
  if (constraint.allows(first)) return first;
  constraint.mask(logits);
  return sample(logits);
}
