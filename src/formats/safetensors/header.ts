import { GemmaError } from "../../util/errors.js";
import { describeJson as describe, isJsonObject as isObject, parseJsonBytes, type JsonValue, type ParsedJson } from "../hf/json.js";
import { dtypeBits, knownDtypes } from "./dtypes.js";

/** A header entry, offsets relative to the data section. */
export interface HeaderTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface ParsedHeader {
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Sorted by data offsets. */
  readonly tensors: readonly HeaderTensor[];
}

/** The official reader refuses headers above this many bytes (huggingface/safetensors:safetensors/src/tensor.rs, MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses and validates a header the way the official reader's `read_metadata`/`validate` do:
 * tensors sorted by (begin, end) must tile the data section from 0 to its end with no hole and no
 * overlap, and each tensor's byte length must equal its element count times its dtype width.
 * Stricter than it in one way: a tensor name given twice is an error (serde keeps the last one).
 */
export function parseHeader(fileName: string, bytes: Uint8Array, dataSize: number): ParsedHeader {
  const parsed = parseJsonBytes(bytes, {
    fileName,
    what: "the safetensors header",
    code: "SAFETENSORS_BAD_HEADER",
    baseOffset: 8,
    markFloats: true,
  });
  const root = parsed.value;
  if (!isObject(root)) {
    throw new GemmaError("SAFETENSORS_BAD_HEADER", `${fileName}: the safetensors header is ${describe(root)}, not a JSON object (byte offset 8)`);
  }
  let metadata: Record<string, string> | null = null;
  const tensors: HeaderTensor[] = [];
  for (const [name, entry] of Object.entries(root)) {
    if (name === "__metadata__") metadata = readMetadata(fileName, entry, parsed);
    else tensors.push(readTensorEntry(fileName, name, entry, parsed));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const t of tensors) {
    if (t.begin !== covered) {
      const problem = t.begin < covered ? "overlaps the tensor before it" : `leaves a hole of ${t.begin - covered} bytes before it`;
      throw new GemmaError(
        "SAFETENSORS_BAD_TENSOR",
        `${fileName}: tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] ${problem} (data must be packed from offset 0; entry at byte offset ${parsed.offsetOf(root[t.name] as object)})`,
      );
    }
    covered = t.end;
  }
  if (covered !== dataSize) {
    throw new GemmaError(
      "SAFETENSORS_BAD_HEADER",
      `${fileName}: the tensors cover ${covered} bytes but the data section (from byte offset ${8 + bytes.length} to the end) is ${dataSize} bytes`,
    );
  }
  return { metadata, tensors };
}

function readMetadata(fileName: string, entry: JsonValue, parsed: ParsedJson): Record<string, string> | null {
  if (entry === null) return null;
  if (!isObject(entry)) {
    throw new GemmaError("SAFETENSORS_BAD_HEADER", `${fileName}: "__metadata__" is ${describe(entry)}, not an object of strings`);
  }
  for (const [key, value] of Object.entries(entry)) {
    if (typeof value !== "string") {
      throw new GemmaError(
        "SAFETENSORS_BAD_HEADER",
        `${fileName}: "__metadata__" key "${key}" is ${describe(value)}, not a string (byte offset ${parsed.offsetOf(entry)})`,
      );
    }
  }
  return entry as Record<string, string>;
}

function readTensorEntry(fileName: string, name: string, entry: JsonValue, parsed: ParsedJson): HeaderTensor {
  const bad = (problem: string, node: object | null): never => {
    const at = node === null ? undefined : parsed.offsetOf(node);
    const where = at === undefined ? "" : ` (byte offset ${at})`;
    throw new GemmaError("SAFETENSORS_BAD_TENSOR", `${fileName}: tensor "${name}" ${problem}${where}`);
  };
  if (!isObject(entry)) return bad(`is ${describe(entry)}, not an object with dtype, shape and data_offsets`, null);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== "string") return bad(`field "dtype" is ${describe(dtype)}, not a string`, entry);
  const bits = dtypeBits(dtype);
  if (bits === undefined) return bad(`has unknown dtype "${dtype}" (known: ${knownDtypes().join(", ")})`, entry);
  if (!Array.isArray(shape)) return bad(`field "shape" is ${describe(shape)}, not an array`, entry);
  const dims = shape.map((d, i) => (isCount(d) ? d : bad(`field "shape" element ${i} is ${describe(d)}, not a non-negative integer`, shape)));
  if (!Array.isArray(offsets)) return bad(`field "data_offsets" is ${describe(offsets)}, not an array`, entry);
  if (offsets.length !== 2) return bad(`field "data_offsets" has ${offsets.length} elements, not 2`, offsets);
  const [begin, end] = offsets.map((d, i) =>
    isCount(d) ? d : bad(`field "data_offsets" element ${i} is ${describe(d)}, not a non-negative integer`, offsets),
  ) as [number, number];
  if (end < begin) return bad(`field "data_offsets" [${begin}, ${end}] ends before it begins`, offsets);
  let elements = 1;
  for (const d of dims) {
    elements *= d;
    if (!Number.isSafeInteger(elements)) return bad(`shape [${dims.join(", ")}] has more elements than can be counted`, shape);
  }
  const bitsTotal = elements * bits;
  if (!Number.isSafeInteger(bitsTotal)) return bad(`shape [${dims.join(", ")}] of ${dtype} is too large`, shape);
  if (bitsTotal % 8 !== 0) return bad(`shape [${dims.join(", ")}] of ${dtype} does not end on a byte boundary`, shape);
  if (end - begin !== bitsTotal / 8) {
    return bad(
      `shape [${dims.join(", ")}] of ${dtype} needs ${bitsTotal / 8} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      entry,
    );
  }
  return { name, dtype, shape: dims, begin, end };
}

function isCount(v: JsonValue | undefined): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
