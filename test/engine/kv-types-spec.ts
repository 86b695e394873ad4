import { GgmlType } from "../../src/quant/types.js";
import type { SyntheticSpec } from "../helpers/synthetic-gguf.js";

/** The synthetic Gemma 3 of the KV-type goldens: 32-wide heads, so that a q8_0 cache holds whole blocks per head. */
export const KV_SYNTHETIC_SPEC: SyntheticSpec = {
  dModel: 64,
  dFfn: 96,
  nHeads: 4,
  nKvHeads: 2,
  headDim: 32,
  nLayers: 6,
  type: GgmlType.F32,
  seed: 20261128,
};
