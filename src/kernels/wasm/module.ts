import { GemmaError } from "../../util/errors.js";
import {
  KERNELS_RELAXED_SHARED_WASM_BASE64, KERNELS_RELAXED_WASM_BASE64, KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64,
} from "./generated/kernels.js";
import { relaxedMatchesPlain, relaxedSimdAllowed } from "./relaxed.js";

/*
 * The compiled kernel modules (scripts/build-wasm.mjs embeds them as base64, so no file or URL has to be
 * resolved in Node or a browser). One variant imports an ordinary memory, the other a shared one;
 * WebAssembly links a memory import only to a memory of the same kind. Each exists as a simd128 build and a
 * relaxed-SIMD build (relaxed.ts says when the latter runs); both compute the same results.
 */

// The smallest module using a v128 instruction: (func (result v128) (v128.const i32x4 0 0 0 0)).
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a, 0x16,
  0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x0b,
]);

/** Whether this JavaScript engine runs WebAssembly SIMD (simd128), which the kernels need. */
export function supportsWasmSimd(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(new ArrayBuffer(bin.length));
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Which build of the kernels runs. */
export type KernelBuild = "simd128" | "relaxed";

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The kernel module of one build for an ordinary (shared = false) or shared memory, compiled once per process. */
export function compileKernels(build: KernelBuild, shared: boolean): Promise<WebAssembly.Module> {
  const key = `${build}/${shared}`;
  let module = compiled.get(key);
  if (!module) {
    const base64 = build === "relaxed"
      ? (shared ? KERNELS_RELAXED_SHARED_WASM_BASE64 : KERNELS_RELAXED_WASM_BASE64)
      : (shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
    module = WebAssembly.compile(decodeBase64(base64));
    compiled.set(key, module);
  }
  return module;
}

let chosen: Promise<KernelBuild> | undefined;

/**
 * The build this engine runs, decided once: relaxed where relaxed.ts allows it, the engine validates it and its
 * self-test matches the simd128 build; simd128 otherwise.
 */
export function kernelBuild(): Promise<KernelBuild> {
  chosen ??= (async (): Promise<KernelBuild> => {
    if (!relaxedSimdAllowed() || !WebAssembly.validate(decodeBase64(KERNELS_RELAXED_WASM_BASE64))) return "simd128";
    const ok = await relaxedMatchesPlain(await compileKernels("simd128", false), await compileKernels("relaxed", false));
    return ok ? "relaxed" : "simd128";
  })();
  return chosen;
}

/** The kernel module for an ordinary (shared = false) or shared memory, of the build kernelBuild() picks. */
export async function kernelModule(shared: boolean): Promise<WebAssembly.Module> {
  if (!supportsWasmSimd()) {
    throw new GemmaError("MODEL_BAD_CONFIG", "this JavaScript engine lacks WebAssembly SIMD (simd128), which the WebAssembly kernels need");
  }
  return compileKernels(await kernelBuild(), shared);
}

/** Whether `memory` is backed by a SharedArrayBuffer. */
export function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}
