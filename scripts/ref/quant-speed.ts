// Rough single-thread speed of the reference vecDot (src/quant/dot.ts): GB/s of weight bytes read
// for a 1024×2048 matrix of random valid blocks, one activation row. Time is this process's CPU time
// (median of 12 passes), which is steadier than wall time on a shared machine. Not a test.
// Run: node --import tsx scripts/ref/quant-speed.ts
import { activationRowBytes, quantizeActivationRow, vecDotType } from "../../src/quant/activations.js";
import { vecDot } from "../../src/quant/dot.js";
import { GgmlType, rowBytes, typeName, typeTraits } from "../../src/quant/types.js";
import { f32ToF16 } from "../../src/util/half.js";

const ROWS = 1024;
const COLS = 2048;

/** Deterministic pseudo-random bytes (xorshift32). */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

/** A matrix of random blocks of `type` whose f16 scales (at `scaleOffsets` in each block) are 0.01. */
function randomMatrix(type: number, scaleOffsets: readonly number[]): Uint8Array {
  const m = randomBytes(ROWS * rowBytes(type, COLS), 7);
  const blockBytes = typeTraits(type)!.typeSize;
  const scale = f32ToF16(0.01);
  for (let b = 0; b < m.length; b += blockBytes) {
    for (const o of scaleOffsets) {
      m[b + o] = scale & 0xff;
      m[b + o + 1] = scale >> 8;
    }
  }
  return m;
}

function measure(type: number, weights: Uint8Array): void {
  const x = new Float32Array(COLS).map((_, i) => Math.sin(i * 0.37));
  const act = new Uint8Array(activationRowBytes(type, COLS));
  quantizeActivationRow(vecDotType(type), x, 0, COLS, act, 0);
  const stride = rowBytes(type, COLS);
  let sink = 0;
  const times: number[] = [];
  for (let rep = 0; rep < 12; rep++) {
    const start = process.cpuUsage();
    for (let r = 0; r < ROWS; r++) sink += vecDot(type, COLS, weights, r * stride, act, 0);
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  const ms = times[times.length >> 1];
  const gbps = weights.length / (ms * 1e6);
  console.log(`${typeName(type)}: ${(weights.length / 1e6).toFixed(2)} MB in ${ms.toFixed(2)} ms CPU = ${gbps.toFixed(3)} GB/s${Number.isFinite(sink) ? "" : " (non-finite result)"}`);
}

measure(GgmlType.Q8_0, randomMatrix(GgmlType.Q8_0, [0]));
measure(GgmlType.Q4_K, randomMatrix(GgmlType.Q4_K, [0, 2]));
measure(GgmlType.Q6_K, randomMatrix(GgmlType.Q6_K, [208]));
measure(GgmlType.Q5_0, randomMatrix(GgmlType.Q5_0, [0]));
