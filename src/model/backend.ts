import { Arena } from "../kernels/arena.js";
import { createWasmKernels, supportsWasmSimd, type WasmKernels } from "../kernels/wasm/index.js";
import type { Backend, WeightShard } from "./model.js";

/** The backend to use when the caller names none: WebAssembly SIMD where the engine has it. */
export function defaultBackend(requested: Backend | undefined): Backend {
  return requested ?? (supportsWasmSimd() ? "wasm" : "ref");
}

/** An arena for `weightBytes` of weights (plus room for a context), shared when the backend runs threads. */
export function arenaFor(weightBytes: number, backend: Backend): Arena {
  const shared = typeof backend === "object" && backend.shared;
  return new Arena({ initialBytes: weightBytes + Math.floor(weightBytes / 16) + (1 << 20), shared });
}

/**
 * Kernels bound to the main arena's memory and to each weight shard's (undefined for the reference kernels): an
 * instance per memory, or one thread pool serving them all.
 */
export async function bindBackend(
  main: Arena, shards: readonly Arena[], backend: Backend,
): Promise<{ readonly wasm: WasmKernels | undefined; readonly shards: WeightShard[] }> {
  const arenas = [main, ...shards];
  let kernels: readonly (WasmKernels | undefined)[];
  if (backend === "ref") kernels = arenas.map(() => undefined);
  else if (backend === "wasm") kernels = await Promise.all(arenas.map((a) => createWasmKernels(a.memory)));
  else kernels = await backend.create(arenas.map((a) => a.memory));
  return { wasm: kernels[0], shards: shards.map((arena, i) => ({ arena, wasm: kernels[i + 1] })) };
}
