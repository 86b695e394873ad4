// Where each field of a VALID GGUF file sits, for field-targeted fuzz mutations. A deliberately
// plain walker, separate from the reader under test; it trusts its input (the committed fixtures).
import { typeTraits } from "../../../src/quant/types.js";

export type FieldKind =
  | "magic"
  | "version"
  | "count" // tensor count, kv count, array item count
  | "strlen"
  | "strbytes"
  | "vtype" // value type or array item type
  | "value"
  | "ndims"
  | "dim"
  | "ttype"
  | "toffset"
  | "padding"
  | "data";

export interface Field {
  readonly offset: number;
  readonly size: number;
  readonly kind: FieldKind;
}

const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export function ggufFields(b: Uint8Array): Field[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Field[] = [];
  let p = 0;
  const take = (size: number, kind: FieldKind): number => {
    out.push({ offset: p, size, kind });
    p += size;
    return p - size;
  };
  const u32 = (kind: FieldKind) => v.getUint32(take(4, kind), true);
  const u64 = (kind: FieldKind) => Number(v.getBigUint64(take(8, kind), true));
  const readStr = (): string => {
    const n = u64("strlen");
    const s = new TextDecoder().decode(b.subarray(p, p + n));
    take(n, "strbytes");
    return s;
  };
  const value = (type: number): number | undefined => {
    if (type === 8) {
      readStr();
      return undefined;
    }
    if (type === 9) {
      const item = u32("vtype");
      const n = u64("count");
      for (let i = 0; i < n; i++) value(item);
      return undefined;
    }
    const size = SCALAR_SIZE[type]!;
    const at = take(size, "value");
    return size === 4 ? v.getUint32(at, true) : undefined;
  };

  take(4, "magic");
  take(4, "version");
  const nTensors = u64("count");
  const nKv = u64("count");
  let alignment = 32;
  for (let i = 0; i < nKv; i++) {
    const key = readStr();
    const type = u32("vtype");
    const x = value(type);
    if (key === "general.alignment" && x !== undefined) alignment = x;
  }
  const tensors: { offset: number; size: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    readStr();
    const nDims = u32("ndims");
    let n = 1;
    for (let d = 0; d < nDims; d++) n *= u64("dim");
    const t = typeTraits(u32("ttype"))!;
    tensors.push({ offset: u64("toffset"), size: (n / t.blockSize) * t.typeSize });
  }
  const dataStart = Math.ceil(p / alignment) * alignment;
  if (dataStart > p) take(dataStart - p, "padding");
  for (const t of tensors) out.push({ offset: dataStart + t.offset, size: t.size, kind: "data" });
  return out;
}
