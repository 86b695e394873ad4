import type { Arena } from "../kernels/arena.js";
import { maxWindow, type ModelConfig } from "../model/config.js";
import { quantizeActivationRow } from "../quant/activations.js";
import { GgmlType, rowBytes } from "../quant/types.js";
import { GemmaError } from "../util/errors.js";

/**
 * Element type of the KV cache, as llama.cpp's --cache-type-k/--cache-type-v: "f16" rounds keys and values to half
 * precision, "q8_0" stores them in blocks of 32 with an f16 scale (ggml's block_q8_0), "f32" keeps them as computed.
 */
export type KvType = "f32" | "f16" | "q8_0";

/** The ggml type id of each cache type. */
export const KV_GGML_TYPES: Readonly<Record<KvType, number>> = { f32: GgmlType.F32, f16: GgmlType.F16, q8_0: GgmlType.Q8_0 };

/** Whether `s` names a cache type. */
export function isKvType(s: string): s is KvType {
  return Object.hasOwn(KV_GGML_TYPES, s);
}

export interface KvCacheOptions {
  /** Positions the context holds. */
  readonly contextSize: number;
  /** Largest number of tokens evaluated in one step. */
  readonly maxBatch: number;
  /** Keep full-length caches on sliding-window layers too (needed to roll back or reuse long prefixes). */
  readonly swaFull: boolean;
  /** Element type of K and V (default f32). */
  readonly kvType?: KvType;
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

/**
 * Bytes of one slot's keys (or values): nKvHeads · headDim elements of the cache type. A q8_0 cache quantizes each
 * head's vector in whole blocks, so the head size must be a multiple of 32 (llama.cpp refuses the same models).
 */
export function kvSlotBytes(config: ModelConfig, kvType: KvType = "f32"): number {
  const type = KV_GGML_TYPES[kvType];
  if (type === GgmlType.Q8_0 && config.headDim % 32 !== 0) {
    throw new GemmaError(
      "UNSUPPORTED_TENSOR_TYPE",
      `a q8_0 KV cache needs a head size that is a multiple of 32; this model's is ${config.headDim} (use f16 or f32)`,
    );
  }
  return config.nKvHeads * rowBytes(type, config.headDim);
}

/** Bytes of the K and V caches of every layer. */
export function kvCacheBytes(config: ModelConfig, o: KvCacheOptions): number {
  const perSlot = 2 * kvSlotBytes(config, o.kvType);
  return config.layers.reduce((sum, l) => sum + layerSlots(l.window, o) * perSlot, 0);
}

/**
 * Largest rollback (in tokens) that keeps a sequence's caches usable: a ring keeps maxBatch - 1 positions beyond the
 * window, so after forgetting at most maxBatch of the newest positions every key the next query needs is still there.
 * Unlimited with full-length caches (or without sliding-window layers).
 */
export function ringRollback(config: ModelConfig, o: KvCacheOptions): number {
  return o.swaFull || maxWindow(config) === 0 ? Infinity : o.maxBatch;
}

export interface LayerCache {
  /** Float index of K (its byte address / 4): [slots, nKvHeads, headDim]; position j lives in slot j % slots. */
  readonly k: number;
  /** Float index of V, same layout. */
  readonly v: number;
  readonly slots: number;
  /** ggml type id of the elements (KV_GGML_TYPES). */
  readonly type: number;
  /** Bytes of one slot (all heads). */
  readonly slotBytes: number;
}

export function allocKvCache(arena: Arena, config: ModelConfig, o: KvCacheOptions): LayerCache[] {
  const slotBytes = kvSlotBytes(config, o.kvType);
  const type = KV_GGML_TYPES[o.kvType ?? "f32"];
  return config.layers.map((l) => {
    const slots = layerSlots(l.window, o);
    // 64-byte aligned, so the byte address of every cache is a float index times 4.
    return { k: arena.alloc(slots * slotBytes) >>> 2, v: arena.alloc(slots * slotBytes) >>> 2, slots, type, slotBytes };
  });
}

/**
 * Stores the key and value rows of position `pos` (kvDim floats at float indices kSrc, vSrc) in the cache, converted
 * to its type as llama.cpp's set_rows does (the CPU backend's from_float: round-to-nearest-even halves; q8_0 blocks as
 * ggml-org/llama.cpp:ggml/src/ggml-cpu/arch/x86/quants.c quantize_row_q8_0, which src/quant's activation encoder
 * reproduces).
 */
export function storeKvRow(kv: LayerCache, heap: Float32Array, u8: Uint8Array, pos: number, kSrc: number, vSrc: number, kvDim: number): void {
  const slot = pos % kv.slots;
  if (kv.type === GgmlType.F32) {
    heap.copyWithin(kv.k + slot * kvDim, kSrc, kSrc + kvDim);
    heap.copyWithin(kv.v + slot * kvDim, vSrc, vSrc + kvDim);
    return;
  }
  quantizeActivationRow(kv.type, heap, kSrc, kvDim, u8, kv.k * 4 + slot * kv.slotBytes);
  quantizeActivationRow(kv.type, heap, vSrc, kvDim, u8, kv.v * 4 + slot * kv.slotBytes);
}
