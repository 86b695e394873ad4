// Seeded generation of malformed GGUF inputs from valid fixtures: systematic truncation at every
// field, then random byte flips, field-targeted values, truncations, splices, insertions and
// deletions (and combinations). Input i depends only on (seed, i), so any failure is reproducible.
import type { Field } from "./fuzz-fields.js";
import { rng } from "../../helpers/rng.js";

export interface Base {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly fields: readonly Field[];
}

export interface FuzzInput {
  /** The fixture it was derived from. */
  readonly base: string;
  readonly bytes: Uint8Array;
  readonly what: string;
}

export { rng };

/** Every field start and end (and a byte either side) of every base, as truncation points. */
export function truncations(bases: readonly Base[]): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (const b of bases) {
    const cuts = new Set<number>();
    for (const f of b.fields) for (const c of [f.offset - 1, f.offset, f.offset + 1, f.offset + f.size - 1]) cuts.add(c);
    for (const c of [...cuts].sort((x, y) => x - y)) {
      if (c >= 0 && c < b.bytes.length) out.push({ base: b.name, bytes: b.bytes.slice(0, c), what: `${b.name} truncated to ${c} bytes` });
    }
  }
  return out;
}

const TWO32 = 2 ** 32;

/** Values that stress counts, lengths, types, dims and offsets. */
function interesting(r: () => number, size: number, original: bigint, fileSize: number): bigint {
  const pool: bigint[] = [
    0n, 1n, 2n, 3n, 4n, 7n, 8n, 9n, 12n, 13n, 14n, 31n, 32n, 33n, 63n, 64n, 255n, 256n, 0xffffn, 0x7fffffffn, 0x80000000n,
    0xffffffffn, BigInt(TWO32), 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n,
    BigInt(fileSize), BigInt(fileSize) - 1n, BigInt(fileSize) + 1n, original + 1n, original - 1n, original * 2n, original + 32n,
    original - 32n, BigInt(Math.floor(r() * fileSize)),
  ];
  const mask = (1n << BigInt(8 * size)) - 1n;
  return pool[Math.floor(r() * pool.length)]! & mask;
}

function readUint(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

function writeUint(b: Uint8Array, at: number, size: number, v: bigint): void {
  for (let i = 0; i < size; i++) {
    if (at + i < b.length) b[at + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  }
}

/** A base's field clipped to an input that earlier mutations may have shortened. */
function within(f: Field, length: number): [number, number] {
  return [Math.min(f.offset, length), Math.min(f.offset + f.size, length)];
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

type Mutator = (r: () => number, b: Uint8Array, base: Base, bases: readonly Base[]) => [Uint8Array, string];

const MUTATORS: readonly Mutator[] = [
  function flipBytes(r, b) {
    const n = 1 + Math.floor(r() * 8);
    const at: number[] = [];
    for (let i = 0; i < n && b.length > 0; i++) {
      const p = Math.floor(r() * b.length);
      b[p] = r() < 0.5 ? b[p]! ^ (1 << Math.floor(r() * 8)) : Math.floor(r() * 256);
      at.push(p);
    }
    return [b, `flip bytes ${at.join(",")}`];
  },
  function setField(r, b, base) {
    const numeric = base.fields.filter((f) => f.kind !== "strbytes" && f.kind !== "data" && f.kind !== "padding" && f.size <= 8);
    const f = pick(r, numeric);
    const v = interesting(r, f.size, readUint(b, f.offset, f.size), b.length);
    writeUint(b, f.offset, f.size, v);
    return [b, `${f.kind} at ${f.offset} := ${v}`];
  },
  function truncate(r, b) {
    const at = Math.floor(r() * b.length);
    return [b.slice(0, at), `truncate to ${at}`];
  },
  function splice(r, b, base, bases) {
    const other = pick(r, bases);
    const cutA = Math.min(pick(r, base.fields).offset, b.length);
    const cutB = pick(r, other.fields).offset;
    const out = new Uint8Array(cutA + other.bytes.length - cutB);
    out.set(b.subarray(0, cutA));
    out.set(other.bytes.subarray(cutB), cutA);
    return [out, `splice ${base.name}[0:${cutA}] + ${other.name}[${cutB}:]`];
  },
  function duplicateField(r, b, base) {
    const f = pick(r, base.fields);
    const [start, end] = within(f, b.length);
    const out = new Uint8Array(b.length + end - start);
    out.set(b.subarray(0, end));
    out.set(b.subarray(start, end), end);
    out.set(b.subarray(end), 2 * end - start);
    return [out, `duplicate ${f.kind} at ${start}..${end}`];
  },
  function deleteField(r, b, base) {
    const f = pick(r, base.fields);
    const [start, end] = within(f, b.length);
    const out = new Uint8Array(b.length - (end - start));
    out.set(b.subarray(0, start));
    out.set(b.subarray(end), start);
    return [out, `delete ${f.kind} at ${start}..${end}`];
  },
  function insertBytes(r, b) {
    const at = Math.floor(r() * b.length);
    const n = 1 + Math.floor(r() * 16);
    const out = new Uint8Array(b.length + n);
    out.set(b.subarray(0, at));
    for (let i = 0; i < n; i++) out[at + i] = Math.floor(r() * 256);
    out.set(b.subarray(at), at + n);
    return [out, `insert ${n} bytes at ${at}`];
  },
];

/** Random input `i` of a run seeded with `seed`: one to three mutations of one base. */
export function mutated(bases: readonly Base[], seed: number, i: number): FuzzInput {
  const r = rng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
  const base = pick(r, bases);
  let bytes: Uint8Array = base.bytes.slice();
  const steps: string[] = [];
  const rounds = r() < 0.7 ? 1 : r() < 0.7 ? 2 : 3;
  for (let k = 0; k < rounds; k++) {
    // field offsets refer to the unmutated base; after a length change they still pick plausible spots
    const [next, what] = pick(r, MUTATORS)(r, bytes, base, bases);
    bytes = next;
    steps.push(what);
  }
  return { base: base.name, bytes, what: `${base.name}: ${steps.join("; ")}` };
}
