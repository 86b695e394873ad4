import { createRefKernels } from "../kernels/ref/matmul.js";
import { createWasmMatmulKernels } from "../kernels/wasm-matmul.js";
import type { Kernels } from "../kernels/kernels.js";
import { createShardedKernels } from "../kernels/sharded-matmul.js";
import type { Model } from "../model/model.js";
import { activationRowBytes } from "../quant/activations.js";
import { allocActivations, type Activations } from "./activations.js";

/** What a forward step of up to maxBatch rows writes into, allocated once: the activations and the kernels' scratch. */
export interface StepBuffers {
  readonly act: Activations;
  readonly kernels: Kernels;
}

export function allocStepBuffers(model: Model, maxBatch: number, contextSize: number, logitRows = maxBatch): StepBuffers {
  const c = model.config;
  const arena = model.arena;
  const act = allocActivations(arena, c, maxBatch, contextSize, logitRows);
  // the widest encoded activation row any product reads (the kernels encode a batch of them before the dots)
  const widest = Math.max(c.dModel, c.nHeads * c.headDim, c.dFfn);
  const actBytes = Math.max(
    ...[model.weights.output, ...model.weights.dense, ...model.weights.layers.flatMap((l) => [l.wq, l.wo, l.wDown])].map((m) =>
      activationRowBytes(m.type, m.cols),
    ),
    widest * 4,
  );
  const kernels = model.wasm
    ? createWasmMatmulKernels(arena, model.wasm, actBytes * maxBatch, { nHeads: c.nHeads, headDim: c.headDim, maxSlots: contextSize })
    : createRefKernels(arena, actBytes * maxBatch);
  return { act, kernels: withShards(model, kernels, maxBatch, logitRows, actBytes) };
}

/**
 * The kernels of a model spread over several WebAssembly memories (model/weight-placement.ts): each shard gets its
 * own kernels and input/output rows for this context, in its own arena; products with its matrices run there.
 */
function withShards(model: Model, main: Kernels, maxBatch: number, logitRows: number, actBytes: number): Kernels {
  const shards = model.shards;
  if (!shards || shards.length === 0) return main;
  const c = model.config;
  const w = model.weights;
  const matrices = [w.tokenEmbedding, w.output, ...w.dense, ...w.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown])];
  return createShardedKernels(
    model.arena,
    main,
    shards.map((s, i) => {
      const mine = matrices.filter((m) => m.shard === i);
      const inFloats = Math.max(...mine.map((m) => maxBatch * m.cols));
      const outFloats = Math.max(...mine.map((m) => (m === w.output ? logitRows : maxBatch) * m.rows));
      // A shard never attends (attention reads the main arena's cache): its attention plan is empty.
      const kernels = s.wasm
        ? createWasmMatmulKernels(s.arena, s.wasm, actBytes * maxBatch, { nHeads: c.nHeads, headDim: c.headDim, maxSlots: 0 })
        : createRefKernels(s.arena, actBytes * maxBatch);
      return { arena: s.arena, kernels, x: s.arena.alloc(inFloats * 4) / 4, y: s.arena.alloc(outFloats * 4) / 4 };
    }),
  );
}
