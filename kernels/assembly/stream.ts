/**
 * A streaming read of `bytes` bytes at p (a multiple of 64), for measuring memory bandwidth (scripts/bench.mjs):
 * one 16-byte load and one integer add per vector, spread over four accumulators, so that the loop waits on memory,
 * never on arithmetic. Returns a sum of the data so that the loads cannot be dropped.
 */
export function stream_read(p: usize, bytes: usize): i32 {
  let a = i32x4.splat(0), b = a, c = a, d = a;
  for (let end = p + bytes; p < end; p += 64) {
    a = i32x4.add(a, v128.load(p));
    b = i32x4.add(b, v128.load(p, 16));
    c = i32x4.add(c, v128.load(p, 32));
    d = i32x4.add(d, v128.load(p, 48));
  }
  const s = i32x4.add(i32x4.add(a, b), i32x4.add(c, d));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}
