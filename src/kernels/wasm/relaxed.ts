/*
 * When the relaxed-SIMD build of the kernels may run. Relaxed SIMD lets an engine pick the instruction sequence
 * (i32x4.relaxed_dot_i8x16_i7x16_add_s: pmaddubsw on x86); the kernels use it only where every engine's choice gives
 * the exact integer (kernels/assembly/blocks32.ts, relaxedDot), so the results equal the simd128 build's bit for bit.
 * An engine could still get it wrong, so the build is used only after a self-test against the simd128 build.
 */

/** The major Node.js version, or undefined outside Node. */
function nodeMajor(): number | undefined {
  const version = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return version === undefined ? undefined : Number(version.split(".")[0]);
}

/**
 * Whether to consider the relaxed build at all. Not on Node 20 and 21 (V8 11.x): relaxed SIMD is behind
 * --experimental-wasm-relaxed-simd there, and its baseline compiler (Liftoff) computes relaxed_dot wrongly until
 * the function is optimized (cpu-kernels.md: errors up to 89x on the first calls, right after tier-up). A
 * self-test runs in whichever tier is current, so it cannot vouch for the calls that come after it.
 */
export function relaxedSimdAllowed(): boolean {
  const major = nodeMajor();
  return major === undefined || major >= 22;
}

/** xorshift32 bytes, so that the self-test's inputs are the same on every engine. */
function fillRandom(bytes: Uint8Array, seed: number): void {
  let x = seed;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
}

type Matmul = (w: number, rows: number, cols: number, act: number, actStride: number, nTok: number, out: number, outStride: number, rowBegin: number, rowEnd: number) => void;

/** The matmuls with a relaxed-SIMD path: export name and block bytes. */
const CHECKED: readonly (readonly [string, number])[] = [
  ["matmul_q4_0", 18],
  ["matmul_q5_0", 22],
];
const ROWS = 8;
const COLS = 256;
const ACT_BYTES = (COLS / 32) * 34;

/**
 * Runs the relaxed-SIMD matmuls of `relaxed` and their simd128 twins in `plain` on the same random blocks (scales set
 * to 1/1024 and 1, so that every output is finite) and reports whether every output is bit-identical. Each runs
 * several times: a wrong baseline tier shows on the first calls.
 */
export async function relaxedMatchesPlain(plain: WebAssembly.Module, relaxed: WebAssembly.Module): Promise<boolean> {
  const run = async (module: WebAssembly.Module): Promise<Float32Array> => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const exports = (await WebAssembly.instantiate(module, { env: { memory } })).exports as Record<string, Matmul>;
    const u8 = new Uint8Array(memory.buffer);
    const results = new Float32Array(CHECKED.length * ROWS * 3);
    let r = 0;
    for (const [name, blockBytes] of CHECKED) {
      const w = 1024;
      const act = w + ROWS * (COLS / 32) * blockBytes;
      const out = act + ACT_BYTES;
      fillRandom(u8.subarray(w, out), 0x2545f491 ^ blockBytes);
      for (let b = w; b < act; b += blockBytes) u8[b] = 0x00, u8[b + 1] = 0x14; // f16 2^-10
      for (let b = act; b < out; b += 34) u8[b] = 0x00, u8[b + 1] = 0x3c; // f16 1
      for (let i = act + 2; i < out; i++) if (u8[i] === 0x80) u8[i] = 0x81; // levels -127..127, as a Q8_0 encoder writes
      for (let rep = 0; rep < 3; rep++) {
        exports[name]!(w, ROWS, COLS, act, ACT_BYTES, 1, out, ROWS, 0, ROWS);
        results.set(new Float32Array(memory.buffer, out, ROWS), r);
        r += ROWS;
      }
    }
    return results;
  };
  try {
    const [a, b] = await Promise.all([run(plain), run(relaxed)]);
    return a.every((v, i) => Object.is(v, b[i]));
  } catch {
    return false;
  }
}
