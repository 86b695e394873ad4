/**
 * The 16 non-linear levels of IQ4_NL and IQ4_XS, indexed by the stored nibble
 * (`kvalues_iq4nl` in ggml-org/llama.cpp:ggml/src/ggml-common.h).
 */
export const IQ4_LEVELS: Int8Array = Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
