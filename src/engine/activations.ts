import type { Arena } from "../kernels/arena.js";
import type { ModelConfig } from "../model/config.js";

/** Activation buffers of one forward step, planned once per context (float indices into the arena heap). */
export interface Activations {
  readonly maxBatch: number;
  readonly x: number; // [maxBatch, dModel] residual stream
  readonly xb: number; // [maxBatch, dModel] normed input of a sub-layer
  readonly proj: number; // [maxBatch, dModel] output of wo / wDown
  readonly q: number; // [maxBatch, nHeads, headDim]
  readonly k: number; // [maxBatch, nKvHeads, headDim]
  readonly v: number; // [maxBatch, nKvHeads, headDim]
  readonly att: number; // [maxBatch, nHeads, headDim]
  readonly gate: number; // [maxBatch, dFfn]
  readonly up: number; // [maxBatch, dFfn]
  readonly logits: number; // [logitRows, vocab]
  readonly scores: Float32Array; // [contextSize] attention weights of one query head
  readonly ropeCos: Float32Array; // [headDim / 2]
  readonly ropeSin: Float32Array; // [headDim / 2]
}

/** `logitRows`: the most rows of logits one step returns (0 for a context that only reads hidden states). */
export function allocActivations(arena: Arena, c: ModelConfig, maxBatch: number, contextSize: number, logitRows: number): Activations {
  const f = (n: number) => arena.alloc(n * 4) >>> 2;
  return {
    maxBatch,
    x: f(maxBatch * c.dModel),
    xb: f(maxBatch * c.dModel),
    proj: f(maxBatch * c.dModel),
    q: f(maxBatch * c.nHeads * c.headDim),
    k: f(maxBatch * c.nKvHeads * c.headDim),
    v: f(maxBatch * c.nKvHeads * c.headDim),
    att: f(maxBatch * c.nHeads * c.headDim),
    gate: f(maxBatch * c.dFfn),
    up: f(maxBatch * c.dFfn),
    logits: f(logitRows * c.vocabSize),
    scores: new Float32Array(contextSize),
    ropeCos: new Float32Array(c.headDim / 2),
    ropeSin: new Float32Array(c.headDim / 2),
  };
}
