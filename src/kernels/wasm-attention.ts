import { GemmaError } from "../util/errors.js";
import type { Arena } from "./arena.js";
import type { AttentionShape } from "./ref/attention.js";
import {
  ARG_HEAD_DIM, ARG_HEADS, ARG_K, ARG_KV_HEADS, ARG_NTOK, ARG_OUT, ARG_POS0, ARG_Q, ARG_Q64, ARG_SCORE_STRIDE, ARG_SCORES,
  ARG_SLOTS, ARG_SLOTS_COUNT, ARG_SOFTCAP, ARG_TILE, ARG_V, ARG_WINDOW,
} from "./wasm/attention-task.js";
import type { WasmKernels } from "./wasm/index.js";

/** Query tokens of one head whose scores are computed together (each key row is then read once for all of them). */
const TOKEN_TILE = 8;

/** What the scratch buffers are sized for. */
export interface AttentionPlan {
  readonly nHeads: number;
  readonly headDim: number;
  /** The most cache slots of any layer (the context size at most). */
  readonly maxSlots: number;
}

/**
 * Attention with the arguments of src/kernels/ref/attention.ts and the same results bit for bit. `scores` is the
 * reference's scratch; the WebAssembly version keeps its scores in its own scratch in the arena and leaves it alone.
 */
export type AttentionFn = (
  heap: Float32Array, s: AttentionShape, q: number, kCache: number, vCache: number, out: number, nTok: number, pos0: number,
  scores: Float32Array,
) => void;

/**
 * Attention on the WebAssembly kernels, one query head per task (src/kernels/wasm/attention-task.ts), the heads
 * shared among the kernel pool's threads: the arguments go into a block in the arena, each head has its own scratch
 * (TOKEN_TILE f64 query rows, TOKEN_TILE rows of scores).
 */
export function createWasmAttention(arena: Arena, wasm: WasmKernels, plan: AttentionPlan): AttentionFn {
  const { nHeads, headDim, maxSlots } = plan;
  const scoreStride = maxSlots + TOKEN_TILE;
  const q64 = arena.alloc(nHeads * TOKEN_TILE * headDim * 8);
  const scores = arena.alloc(nHeads * TOKEN_TILE * scoreStride * 4);
  const args = arena.alloc(ARG_SLOTS_COUNT * 4) >>> 2;
  let i32: Int32Array<ArrayBufferLike> = new Int32Array(0);

  return (heap, s, q, kCache, vCache, out, nTok, pos0) => {
    if (s.headDim !== headDim || s.nHeads !== nHeads || s.slots > maxSlots) {
      throw new GemmaError(
        "BAD_TENSOR_SHAPE",
        `attention of ${s.nHeads} heads of ${s.headDim} over ${s.slots} slots exceeds the planned ${nHeads} x ${headDim} x ${maxSlots}`,
      );
    }
    const kvDim = s.nKvHeads * headDim;
    const end = Math.max(q + nTok * nHeads * headDim, out + nTok * nHeads * headDim, kCache + s.slots * kvDim, vCache + s.slots * kvDim);
    if (end > heap.length) throw new GemmaError("BAD_TENSOR_SHAPE", `attention buffers end at float ${end}, beyond the ${heap.length}-float memory`);
    if (i32.buffer !== heap.buffer) i32 = new Int32Array(heap.buffer, args * 4, ARG_SLOTS_COUNT);
    i32[ARG_Q] = q;
    i32[ARG_K] = kCache;
    i32[ARG_V] = vCache;
    i32[ARG_OUT] = out;
    i32[ARG_NTOK] = nTok;
    i32[ARG_POS0] = pos0;
    i32[ARG_HEADS] = nHeads;
    i32[ARG_KV_HEADS] = s.nKvHeads;
    i32[ARG_HEAD_DIM] = headDim;
    i32[ARG_WINDOW] = s.window;
    i32[ARG_SLOTS] = s.slots;
    i32[ARG_Q64] = q64;
    i32[ARG_SCORES] = scores;
    i32[ARG_SCORE_STRIDE] = scoreStride;
    heap[args + ARG_SOFTCAP] = s.softcap;
    i32[ARG_TILE] = TOKEN_TILE;
    wasm.attentionHeads(args, nHeads);
  };
}
