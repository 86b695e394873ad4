import { Arena } from "../../src/kernels/arena.js";
import { instantiateKernels } from "../../src/kernels/wasm/bindings.js";
import { kernelsOver } from "../../src/kernels/wasm/index.js";
import { compileKernels } from "../../src/kernels/wasm/module.js";
import { relaxedMatchesPlain } from "../../src/kernels/wasm/relaxed.js";
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { vecDot } from "../../src/quant/dot.js";
import { GgmlType, rowBytes, typeName } from "../../src/quant/types.js";
import { Random, randomActivations, randomWeights } from "./wasm-random-blocks.js";

/*
 * Run by wasm-relaxed.test.ts in a child process (with the flags this Node needs for relaxed SIMD, and the baseline
 * compiler off on Node 20, whose Liftoff miscompiles relaxed_dot): the relaxed-SIMD build's matmuls against vecDot,
 * for the types with a relaxed path and one without, on random rows; and the start-up self-test. Prints one JSON line.
 */
const TYPES = [GgmlType.Q4_0, GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.Q4_K];
const SHAPES = [
  { rows: 37, cols: 640, nTok: 1 },
  { rows: 10, cols: 1024, nTok: 5 },
  { rows: 13, cols: 2048, nTok: 1 },
];

const arena = new Arena({ initialBytes: 4 << 20 });
const kernels = kernelsOver(arena.memory, await instantiateKernels(await compileKernels("relaxed", false), arena.memory));
const rng = new Random(0xc0ffee);
const mismatches: string[] = [];
let checked = 0;
for (const type of TYPES) {
  for (const { rows, cols, nTok } of SHAPES) {
    const cols2 = type === GgmlType.Q4_K ? 768 : cols;
    const weights = randomWeights(type, rows, cols2, rng);
    const wPtr = arena.alloc(weights.length);
    arena.heapU8.set(weights, wPtr);
    const actBytes = activationRowBytes(type, cols2);
    const act = new Uint8Array(nTok * actBytes);
    for (let t = 0; t < nTok; t++) quantizeActivationRow(vecDotType(type), randomActivations(cols2, rng), 0, cols2, act, t * actBytes);
    const actPtr = arena.alloc(act.length);
    arena.heapU8.set(act, actPtr);
    const outPtr = arena.alloc(nTok * rows * 4);
    kernels.matmul(type, wPtr, rows, cols2, actPtr, nTok, outPtr);
    const out = arena.f32(outPtr, nTok * rows);
    for (let t = 0; t < nTok; t++) {
      for (let r = 0; r < rows; r++) {
        const want = vecDot(type, cols2, weights, r * rowBytes(type, cols2), act, t * actBytes);
        checked++;
        if (!Object.is(out[t * rows + r], want)) mismatches.push(`${typeName(type)} ${rows}x${cols2} token ${t} row ${r}: ${out[t * rows + r]} vs ${want}`);
      }
    }
  }
}
const selfTest = await relaxedMatchesPlain(await compileKernels("simd128", false), await compileKernels("relaxed", false));
process.stdout.write(JSON.stringify({ checked, mismatches: mismatches.slice(0, 10), selfTest }) + "\n");
