import { Arena } from "../kernels/arena.js";
import { createWasmKernels, supportsWasmSimd, type WasmKernels } from "../kernels/wasm/index.js";
import type { Backend } from "./model.js";

/** The backend to use when the caller names none: WebAssembly SIMD where the engine has it. */
export function defaultBackend(requested: Backend | undefined): Backend {
  return requested ?? (supportsWasmSimd() ? "wasm" : "ref");
}

/** An arena for `weightBytes` of weights (plus room for a context), shared when the backend runs threads. */
export function arenaFor(weightBytes: number, backend: Backend): Arena {
  const shared = typeof backend === "object" && backend.shared;
  return new Arena({ initialBytes: weightBytes + (weightBytes >> 4) + (1 << 20), shared });
}

/** Kernels bound to the arena's memory, or undefined for the reference kernels. */
export async function bindBackend(arena: Arena, backend: Backend): Promise<WasmKernels | undefined> {
  if (backend === "ref") return undefined;
  if (backend === "wasm") return createWasmKernels(arena.memory);
  return backend.create(arena.memory);
}
