import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileKernels } from "../../src/kernels/wasm/module.js";
import { Random } from "./wasm-random-blocks.js";

/*
 * The kernels' f64 tanh (kernels/assembly/tanh.ts, behind the exact-mode GELU) against the engine's Math.tanh, which
 * ref/gelu.ts calls: equal bits on the GELU's own arguments for a grid of f32 inputs spanning every range, on random
 * arguments across each branch of tanh and expm1 (|x| < 2^-28, < ln2/4, < 0.75·ln2, < 1, < 22, beyond), and on the
 * special values. Run where Math.tanh is V8's (Node): another engine may round its tanh differently.
 */

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

describe("WebAssembly tanh", () => {
  it("equals Math.tanh bit for bit", async () => {
    const module = await compileKernels("simd128", false);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const tanh = instance.exports["tanh_f64"] as (x: number) => number;
    let checked = 0;
    const check = (x: number) => {
      const got = tanh(x);
      const want = Math.tanh(x);
      if (!Object.is(got, want)) assert.fail(`tanh(${x}): ${got}, Math.tanh ${want}`);
      checked++;
    };
    for (const x of [0, -0, 1, -1, 22, -22, 44, 1e-300, 5e-324, 2 ** -28, -(2 ** -28), 2 ** -27, Math.LN2 / 4, 0.75 * Math.LN2, Infinity, -Infinity, NaN]) {
      check(x);
    }
    // the argument the GELU passes, for f32 inputs on a grid of bit patterns (every exponent, both signs)
    const f32 = new Float32Array(1);
    const bits = new Uint32Array(f32.buffer);
    for (let i = 0; i < 2 ** 32; i += 4099) {
      bits[0] = i;
      const x = f32[0]!;
      if (Number.isFinite(x)) check(SQRT_2_OVER_PI * x * (1 + 0.044715 * x * x));
    }
    const rng = new Random(3);
    for (let i = 0; i < 200_000; i++) check((rng.next() * 2 - 1) * 2 ** (rng.next() * 40 - 30));
    assert.ok(checked > 1_000_000);
  });
});
