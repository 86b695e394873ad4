#!/usr/bin/env python3
"""Writes small GGUF fixtures with gguf-py (an independent writer) and records what gguf-py's
GGUFReader reports about them, for test/formats/gguf/gguf-py-fixtures.test.ts.

Run: /root/venv-ref/bin/python scripts/ref/gguf-fixtures.py   (writes test/golden/gguf/)
     /root/venv-ref/bin/python scripts/ref/gguf-fixtures.py --report IN.gguf OUT.json
         (only the report, for a file our own writer made: scripts/ref/gguf-ours.ts calls this)

Fixtures:
  all-types.gguf        v3, every scalar type, arrays of every item type, nested arrays (also with
                        different item types per inner array), edge values, tensors of several ggml types
  aligned-128.gguf      v3 with general.alignment = 128
  v2.gguf               all-types.gguf with the version field patched to 2 (v2 and v3 share one layout;
                        gguf-py only writes v3)
  split-0000N-of-00003.gguf  one model split by GGUFWriter(split_max_tensors=2): split.no / split.count /
                        split.tensors.count, metadata in the first shard only
The JSON holds, per file, the version, alignment, data offset, every key/value (types and values
rebuilt from the parts GGUFReader parsed, so nesting survives) and every tensor (name, type, dims
ne0 first, element and byte counts, absolute data offset, sha256 of the data GGUFReader maps).
"""
import hashlib
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGUFReader, GGUFValueType, GGUFWriter, GGMLQuantizationType
from importlib.metadata import version as pkg_version

OUT = Path(__file__).resolve().parents[2] / "test" / "golden" / "gguf"
rng = np.random.default_rng(20261127)


def raw_tensor(w: GGUFWriter, name: str, qtype: GGMLQuantizationType, ne: list[int]) -> None:
    """A tensor of random bytes of a ggml type; `ne` is ne0 first."""
    block, type_size = gguf.GGML_QUANT_SIZES[qtype]
    rows = int(np.prod(ne[1:])) if len(ne) > 1 else 1
    data = rng.integers(0, 256, size=(rows, ne[0] // block * type_size), dtype=np.uint8)
    byte_shape = list(reversed(ne[1:])) + [ne[0] // block * type_size]
    w.add_tensor(name, data.reshape(byte_shape), raw_dtype=qtype)


def write_all_types(path: Path) -> None:
    w = GGUFWriter(str(path), "fixture")
    w.add_uint8("t.u8", 255)
    w.add_int8("t.i8", -128)
    w.add_uint16("t.u16", 65535)
    w.add_int16("t.i16", -32768)
    w.add_uint32("t.u32", 4294967295)
    w.add_int32("t.i32", -2147483648)
    w.add_float32("t.f32", 3.14159)
    w.add_uint64("t.u64", 2**64 - 1)
    w.add_int64("t.i64", -(2**63))
    w.add_float64("t.f64", math.pi)
    w.add_bool("t.bool.true", True)
    w.add_bool("t.bool.false", False)
    w.add_string("t.string", "héllo ▁世界 🎉")
    w.add_key_value("t.string.empty", "", GGUFValueType.STRING)  # add_string drops empty strings
    w.add_string("t.string.long", "ab\u00e9" * 400)
    w.add_uint64("t.u64.small", 12345)
    w.add_key_value("t.arr.u8", [0, 1, 255], GGUFValueType.ARRAY, GGUFValueType.UINT8)
    w.add_key_value("t.arr.i8", [-128, 0, 127], GGUFValueType.ARRAY, GGUFValueType.INT8)
    w.add_key_value("t.arr.u16", [0, 65535], GGUFValueType.ARRAY, GGUFValueType.UINT16)
    w.add_key_value("t.arr.i16", [-32768, 32767], GGUFValueType.ARRAY, GGUFValueType.INT16)
    w.add_key_value("t.arr.u32", [0, 4294967295, 7], GGUFValueType.ARRAY, GGUFValueType.UINT32)
    w.add_key_value("t.arr.i32", [-2147483648, 2147483647, -1], GGUFValueType.ARRAY, GGUFValueType.INT32)
    w.add_key_value(
        "t.arr.f32", [0.1, -0.0, float("inf"), float("-inf"), float("nan"), 1e-45, 3.4e38],
        GGUFValueType.ARRAY, GGUFValueType.FLOAT32,
    )
    w.add_key_value("t.arr.u64", [0, 2**64 - 1, 2**53 + 1], GGUFValueType.ARRAY, GGUFValueType.UINT64)
    w.add_key_value("t.arr.i64", [-(2**63), 2**63 - 1, -5], GGUFValueType.ARRAY, GGUFValueType.INT64)
    w.add_key_value("t.arr.f64", [math.e, -1e300, 5e-324], GGUFValueType.ARRAY, GGUFValueType.FLOAT64)
    w.add_key_value("t.arr.bool", [True, False, True], GGUFValueType.ARRAY, GGUFValueType.BOOL)
    w.add_key_value("t.arr.string", ["", "a", "▁the", "<0x0A>", "🎉 emoji", "\ufeff//", "\ufeff" + "x" * 200], GGUFValueType.ARRAY, GGUFValueType.STRING)
    w.add_array("t.arr.nested.i32", [[1, 2, 3], [4]])
    w.add_array("t.arr.nested.string", [["a", "b"], ["c"]])
    w.add_array("t.arr.nested.mixed", [[1, 2], ["x"], [[True, False], [2.5]]])
    w.add_array("t.arr.nested.deep", [[[[7]]]])
    w.add_tensor("f32.2d", rng.standard_normal((3, 4), dtype=np.float32))
    w.add_tensor("f32.4d", rng.standard_normal((1, 4, 3, 2), dtype=np.float32))
    w.add_tensor("f16.1d", rng.standard_normal(8).astype(np.float16))
    w.add_tensor("i32.1d", np.arange(5, dtype=np.int32))
    raw_tensor(w, "bf16.2d", GGMLQuantizationType.BF16, [6, 2])
    raw_tensor(w, "q8_0.2d", GGMLQuantizationType.Q8_0, [64, 2])
    raw_tensor(w, "q4_k.1d", GGMLQuantizationType.Q4_K, [256])
    raw_tensor(w, "q6_k.2d", GGMLQuantizationType.Q6_K, [256, 2])
    raw_tensor(w, "q5_0.1d", GGMLQuantizationType.Q5_0, [32])
    finish(w)


def write_aligned(path: Path) -> None:
    w = GGUFWriter(str(path), "fixture")
    w.add_custom_alignment(128)
    w.add_string("general.name", "aligned")
    w.add_tensor("a", rng.standard_normal(3, dtype=np.float32))
    w.add_tensor("b", rng.standard_normal(5).astype(np.float16))
    raw_tensor(w, "c", GGMLQuantizationType.Q8_0, [32])
    w.add_tensor("d", rng.standard_normal((2, 33), dtype=np.float32))
    finish(w)


def write_split(path: Path) -> None:
    w = GGUFWriter(str(path), "fixture", split_max_tensors=2)
    w.add_string("general.name", "split")
    w.add_uint32("fixture.block_count", 5)
    for i in range(5):
        w.add_tensor(f"blk.{i}.weight", rng.standard_normal((2, 3 + i), dtype=np.float32))
    finish(w)


def finish(w: GGUFWriter) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def rebuild(parts, i: int, vtype: int):
    """Rebuilds one value from GGUFReader's parsed parts; returns (json value, next part index)."""
    if vtype == GGUFValueType.STRING:
        return bytes(parts[i + 1]).decode("utf-8"), i + 2
    if vtype == GGUFValueType.ARRAY:
        item_type = int(parts[i][0])
        count = int(parts[i + 1][0])
        i += 2
        items = []
        for _ in range(count):
            v, i = rebuild(parts, i, item_type)
            items.append(v)
        return {"item_type": item_type, "items": items}, i
    return scalar(parts[i][0], vtype), i + 1


def scalar(v, vtype: int):
    if vtype == GGUFValueType.BOOL:
        return bool(v)
    if vtype in (GGUFValueType.UINT64, GGUFValueType.INT64):
        return str(int(v))  # beyond 2^53: JSON numbers would round
    if vtype in (GGUFValueType.FLOAT32, GGUFValueType.FLOAT64):
        f = float(v)
        return f if math.isfinite(f) else ("nan" if math.isnan(f) else ("inf" if f > 0 else "-inf"))
    return int(v)


def report(path: Path) -> dict:
    r = GGUFReader(str(path))
    kv = []
    for name, field in r.fields.items():
        if name.startswith("GGUF."):
            continue
        vtype = int(field.types[0])
        value, end = rebuild(field.parts, 3, vtype)
        assert end == len(field.parts), name
        # gguf-py's own view of the value must agree with the rebuilt one where it can express it
        # (it flattens nested arrays and takes the first inner array's item type for all of them).
        nested = vtype == GGUFValueType.ARRAY and value["item_type"] == GGUFValueType.ARRAY
        if not nested:
            flat = value["items"] if vtype == GGUFValueType.ARRAY else [value]
            mine = field.contents()
            mine = mine if isinstance(mine, list) else [mine]
            leaf = int(field.types[-1])
            assert [scalar(x, leaf) if leaf != GGUFValueType.STRING else x for x in mine] == flat, name
        kv.append({"key": name, "type": vtype, "value": value})
    version = int(r.fields["GGUF.version"].parts[0][0])
    tensors = [
        {
            "name": t.name,
            "type": int(t.tensor_type),
            "dims": [int(d) for d in t.shape],
            "n_elements": int(t.n_elements),
            "n_bytes": int(t.n_bytes),
            "offset": int(t.data_offset),
            "sha256": hashlib.sha256(np.ascontiguousarray(t.data).tobytes()).hexdigest(),
        }
        for t in r.tensors
    ]
    return {
        "version": version,
        "alignment": int(r.alignment),
        "data_offset": int(r.data_offset),
        "size": path.stat().st_size,
        "kv": kv,
        "tensors": tensors,
    }


def versions() -> dict:
    return {"python": platform.python_version(), "gguf": pkg_version("gguf"), "numpy": np.__version__}


def main() -> None:
    if sys.argv[1:2] == ["--report"]:
        src, dst = Path(sys.argv[2]), Path(sys.argv[3])
        golden = {"generator": "scripts/ref/gguf-fixtures.py --report", "versions": versions(), "files": {src.name: report(src)}}
        dst.write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
        return
    OUT.mkdir(parents=True, exist_ok=True)
    names = ["all-types.gguf", "aligned-128.gguf", "v2.gguf"] + [f"split-{i:05d}-of-00003.gguf" for i in (1, 2, 3)]
    for old in names:
        (OUT / old).unlink(missing_ok=True)
    write_all_types(OUT / "all-types.gguf")
    write_aligned(OUT / "aligned-128.gguf")
    v2 = bytearray((OUT / "all-types.gguf").read_bytes())
    v2[4:8] = (2).to_bytes(4, "little")
    (OUT / "v2.gguf").write_bytes(bytes(v2))
    write_split(OUT / "split.gguf")
    files = sorted(names)
    assert all((OUT / n).exists() for n in files)
    golden = {"generator": "scripts/ref/gguf-fixtures.py", "versions": versions(), "files": {name: report(OUT / name) for name in files}}
    (OUT / "gguf-py-report.json").write_text(json.dumps(golden, indent=1, ensure_ascii=False) + "\n")
    total = sum((OUT / n).stat().st_size for n in files)
    print(f"wrote {len(files)} fixtures ({total} bytes) and gguf-py-report.json to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
