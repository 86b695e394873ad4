import type { Arena } from "../kernels/arena.js";
import type { ModelConfig } from "../model/config.js";

export interface KvCacheOptions {
  /** Positions the context holds. */
  readonly contextSize: number;
  /** Largest number of tokens evaluated in one step. */
  readonly maxBatch: number;
  /** Keep full-length caches on sliding-window layers too (needed to roll back or reuse long prefixes). */
  readonly swaFull: boolean;
  /** Bytes per cached value: 4 for f32 (the only cache type so far). */
}

/**
 * Slots of one layer's cache. Global layers hold the whole context. A sliding-window layer holds a ring of
 * window + maxBatch - 1 positions: the oldest key a batch still needs is window - 1 before its first query, and the
 * batch writes maxBatch new keys before attending, so that many slots are live at once.
 */
export function layerSlots(window: number, o: KvCacheOptions): number {
  if (window === 0 || o.swaFull) return o.contextSize;
  return Math.min(o.contextSize, window + o.maxBatch - 1);
}

/** Bytes of the K and V caches of every layer (f32). */
export function kvCacheBytes(config: ModelConfig, o: KvCacheOptions): number {
  const perSlot = 2 * config.nKvHeads * config.headDim * 4;
  return config.layers.reduce((sum, l) => sum + layerSlots(l.window, o) * perSlot, 0);
}

export interface LayerCache {
  /** Float index of K: [slots, nKvHeads, headDim]; position j lives in slot j % slots. */
  readonly k: number;
  /** Float index of V, same layout. */
  readonly v: number;
  readonly slots: number;
}

export function allocKvCache(arena: Arena, config: ModelConfig, o: KvCacheOptions): LayerCache[] {
  const perSlot = config.nKvHeads * config.headDim;
  return config.layers.map((l) => {
    const slots = layerSlots(l.window, o);
    return { k: arena.alloc(slots * perSlot * 4) >> 2, v: arena.alloc(slots * perSlot * 4) >> 2, slots };
  });
}
