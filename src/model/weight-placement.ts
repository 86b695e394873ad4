import { Arena } from "../kernels/arena.js";
import { GemmaError } from "../util/errors.js";
import { arenaFor } from "./backend.js";
import type { Backend } from "./model.js";

/*
 * Where each weight lives. A wasm32 memory addresses at most 4 GiB, and memory64 needs a flag on Node 20
 * (--experimental-wasm-memory64), so a larger model is spread over several memories: the main arena keeps the norm
 * vectors and everything a context allocates (KV cache, activations), and the matrices go to "weight shards", each
 * an arena of its own with its own instance of the kernels, filled with whole layers in file order (a layer is split
 * only if it alone exceeds a shard). A product with a shard's matrix copies its f32 input rows into the shard and
 * the result back (kernels/sharded-matmul.ts): a few KiB per token against megabytes of weights. The largest model
 * is then bounded by RAM, not by 4 GiB: any number of shards, each matrix at most one shard's size.
 */

export interface ArenaLimits {
  /** Weights up to this many bytes stay in the main arena, with no copies (default 1.5 GiB: room for a context). */
  readonly single: number;
  /** Most weight bytes per shard (default 3.5 GiB: room below 4 GiB for each context's scratch there). */
  readonly shard: number;
}

export const DEFAULT_ARENA_LIMITS: ArenaLimits = { single: 1.5 * 2 ** 30, shard: 3.5 * 2 ** 30 };

export interface PlacedTensor {
  readonly name: string;
  /** Bytes it takes in an arena. */
  readonly bytes: number;
  readonly kind: "matrix" | "vector";
}

export interface WeightPlacement {
  readonly main: Arena;
  readonly shards: readonly Arena[];
  /** The shard of each matrix placed in one (absent: the main arena). */
  readonly shardOf: ReadonlyMap<string, number>;
}

/** Allocation slack per tensor (the arena aligns every allocation to 64 bytes). */
const ALIGN = 64;

/** The layer a tensor belongs to, from its GGUF (`blk.N.`) or Hugging Face (`layers.N.`) name; -1 for none. */
function layerOf(name: string): number {
  const m = /(?:^|\.)(?:blk|layers)\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : -1;
}

/** Plans the arenas for `tensors` (in load order) and creates them, sized for their weights. */
export function placeWeights(tensors: readonly PlacedTensor[], backend: Backend, limits: ArenaLimits = DEFAULT_ARENA_LIMITS): WeightPlacement {
  const total = tensors.reduce((n, t) => n + t.bytes + ALIGN, 0);
  if (total <= limits.single) return { main: arenaFor(total, backend), shards: [], shardOf: new Map() };

  const matrices = tensors.filter((t) => t.kind === "matrix");
  const groups: PlacedTensor[][] = [];
  for (const t of matrices) {
    const last = groups.at(-1);
    const layer = layerOf(t.name);
    if (last && layer >= 0 && layerOf(last[0]!.name) === layer) last.push(t);
    else groups.push([t]);
  }
  const shardBytes: number[] = [];
  const shardOf = new Map<string, number>();
  let used = Infinity;
  for (const group of groups) {
    const bytes = group.reduce((n, t) => n + t.bytes + ALIGN, 0);
    if (used + bytes > limits.shard && bytes <= limits.shard) used = Infinity;
    for (const t of group) {
      if (t.bytes + ALIGN > limits.shard) {
        throw new GemmaError("MODEL_BAD_CONFIG", `tensor ${t.name} (${t.bytes} bytes) is larger than one WebAssembly memory's share of ${limits.shard} bytes`);
      }
      if (used + t.bytes + ALIGN > limits.shard) {
        shardBytes.push(0);
        used = 0;
      }
      shardOf.set(t.name, shardBytes.length - 1);
      used += t.bytes + ALIGN;
      shardBytes[shardBytes.length - 1] = used;
    }
  }
  const shared = typeof backend === "object" && backend.shared;
  const vectorBytes = tensors.reduce((n, t) => n + (t.kind === "vector" ? t.bytes + ALIGN : 0), 0);
  return {
    main: arenaFor(vectorBytes, backend),
    shards: shardBytes.map((bytes) => new Arena({ initialBytes: bytes + (1 << 20), shared })),
    shardOf,
  };
}
