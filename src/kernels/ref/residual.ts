/** x[i] += y[i] for n floats of the heap (the residual stream's update). */
export function addInPlace(heap: Float32Array, x: number, y: number, n: number): void {
  for (let i = 0; i < n; i++) heap[x + i] += heap[y + i]!;
}
