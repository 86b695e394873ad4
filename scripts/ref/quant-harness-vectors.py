"""Test vectors from ggml itself, through our C harness (scripts/ref/ggml-harness/) built against the
llama.cpp sources bundled with node-llama-cpp, in two builds:
  native  -march=native: the x86 SIMD code that llama.cpp runs on this machine
  scalar  baseline x86-64, SIMD off, -ffp-contract=off: ggml's scalar reference code
Writes
  test/golden/quant/ggml-activations.json  activation rows as the CPU backend quantizes them
                                           (type_traits_cpu from_float) for Q8_0, Q8_1, Q8_K, F16, BF16, F32
  test/golden/quant/ggml-dots.json         vec_dot of a weight row of every supported type with an
                                           activation row quantized to its vec_dot_type
It also checks that ggml's to_float agrees bit for bit with gguf-py's dequantize on every weight row
(the two references behind the dequantization tests) and records the outcome.

Run by hand (needs cmake and gcc; takes minutes):
  /root/venv-ref/bin/python scripts/ref/quant-harness-vectors.py [--harness-dir DIR]
Without --harness-dir the harnesses are built into a temporary directory first.
"""
import argparse
import base64
import importlib.util
import json
import pathlib
import platform
import struct
import subprocess
import tempfile

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "test/golden/quant"
BUILD = ROOT / "scripts/ref/ggml-harness/build.sh"
SEED = 20260602
BUILDS = ("native", "scalar")

spec = importlib.util.spec_from_file_location("quant_blocks", pathlib.Path(__file__).with_name("quant-blocks.py"))
blocks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(blocks)

ACTIVATION_TYPES = {"Q8_0": (8, 32, 34), "Q8_1": (9, 32, 36), "Q8_K": (15, 256, 292), "F16": (1, 1, 2), "BF16": (30, 1, 2), "F32": (0, 1, 4)}


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


class Harness:
    """Batches commands for one harness binary, runs it once, then hands back the replies in order."""

    def __init__(self, path):
        self.path = path
        self.commands = []
        self.readers = []

    def activation(self, type_id, x):
        self.commands.append(b"A" + struct.pack("<II", type_id, x.size) + x.astype("<f4").tobytes())
        self.readers.append(lambda r: {"act": r.row()})

    def dot(self, type_id, weights, x):
        self.commands.append(b"D" + struct.pack("<II", type_id, x.size) + weights + x.astype("<f4").tobytes())
        self.readers.append(lambda r: {"act": r.row(), "dot": r.unpack("<f"), "mag": r.unpack("<d")})

    def to_float(self, type_id, n, row):
        self.commands.append(b"F" + struct.pack("<II", type_id, n) + row)
        self.readers.append(lambda r: {"floats": r.take(4 * n)})

    def run(self):
        out = subprocess.run([self.path], input=b"".join(self.commands), capture_output=True, check=True).stdout
        reader = Reader(out)
        replies = [read(reader) for read in self.readers]
        assert reader.pos == len(out), "harness output has trailing bytes"
        return replies


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, size):
        chunk = self.data[self.pos : self.pos + size]
        assert len(chunk) == size, "harness output is short"
        self.pos += size
        return chunk

    def unpack(self, fmt):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def row(self):
        return self.take(self.unpack("<I"))


def versions(harness_dir):
    info = dict(line.split(": ", 1) for line in (harness_dir / "versions.txt").read_text().splitlines())
    package = json.loads((ROOT / "node_modules/node-llama-cpp/package.json").read_text())
    return {
        "node-llama-cpp": package["version"],
        **info,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def activation_cases(rng):
    cases = []
    for name, (type_id, block, _) in ACTIVATION_TYPES.items():
        n = 512
        rows = blocks.activation_rows(rng, n, max(block, 32))
        if name in ("F16", "BF16"):
            rows.append(blocks.rounding_ties(rng, n))
        cases.append({"type": name, "typeId": type_id, "n": n, "rows": rows})
    return cases


def dot_cases(rng):
    cases = []
    for name in blocks.TYPES:
        blk = blocks.block_size(name)
        long_n = 768 if blk == 256 else 640  # 640: Gemma 3 270M's hidden size (not a multiple of 256)
        act_block = 256 if blk == 256 else 32
        for n, kind in ((512, 0), (512, 1), (long_n, 2)):
            x = blocks.activation_rows(rng, n, act_block)[kind]
            cases.append({"type": name, "typeId": blocks.type_id(name), "n": n, "weights": blocks.dot_weight_row(rng, name, n), "x": x})
    return cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--harness-dir", type=pathlib.Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        harness_dir = args.harness_dir
        if harness_dir is None:
            harness_dir = pathlib.Path(tmp)
            subprocess.run(["bash", str(BUILD), str(harness_dir)], check=True)
        generate(harness_dir.resolve())


def generate(harness_dir):
    rng = np.random.default_rng(SEED)
    acts = activation_cases(rng)
    dots = dot_cases(rng)
    harnesses = {b: Harness(str(harness_dir / f"harness-{b}")) for b in BUILDS}
    for h in harnesses.values():
        for c in acts:
            for x in c["rows"]:
                h.activation(c["typeId"], x)
        for c in dots:
            h.dot(c["typeId"], c["weights"], c["x"])
            h.to_float(c["typeId"], c["n"], c["weights"])
    replies = {b: iter(h.run()) for b, h in harnesses.items()}

    act_out = []
    for c in acts:
        got = {b: [next(replies[b])["act"] for _ in c["rows"]] for b in BUILDS}
        act_out.append({
            "type": c["type"], "typeId": c["typeId"], "n": c["n"], "rows": len(c["rows"]),
            "input": b64(np.stack(c["rows"]).astype("<f4").tobytes()),
            **{b: b64(b"".join(got[b])) for b in BUILDS},
        })

    dot_out = []
    to_float_agrees = {}
    for c in dots:
        entry = {"type": c["type"], "typeId": c["typeId"], "n": c["n"], "weights": b64(c["weights"]), "input": b64(c["x"].astype("<f4").tobytes())}
        ref = dequantize(np.frombuffer(c["weights"], dtype=np.uint8).reshape(1, -1), GGMLQuantizationType[c["type"]]).astype("<f4").tobytes()
        for b in BUILDS:
            d, f = next(replies[b]), next(replies[b])
            entry[b] = {"act": b64(d["act"]), "dot": float(np.float32(d["dot"])), "mag": d["mag"]}
            key = f"{c['type']} ({b})"
            to_float_agrees[key] = to_float_agrees.get(key, True) and f["floats"] == ref
        dot_out.append(entry)
    disagreeing = sorted(k for k, ok in to_float_agrees.items() if not ok)
    if disagreeing:
        print("ggml to_float differs from gguf-py dequantize for:", ", ".join(disagreeing))

    meta = {
        "generator": "scripts/ref/quant-harness-vectors.py (harness: scripts/ref/ggml-harness/)",
        "versions": versions(harness_dir),
        "seed": SEED,
        "builds": {
            "native": "ggml-cpu with -march=native (x86 SIMD paths, as llama.cpp runs here)",
            "scalar": "ggml-cpu for baseline x86-64, SIMD off, -ffp-contract=off (ggml's scalar reference paths)",
        },
    }
    write("ggml-activations.json", {
        "about": "activation rows quantized by ggml's CPU backend (type_traits_cpu from_float); input is base64 f32, outputs base64 bytes per build",
        **meta, "cases": act_out,
    })
    write("ggml-dots.json", {
        "about": "ggml vec_dot of a weight row with an activation row quantized to the weight's vec_dot_type; "
        "mag = sum |w_i x_i| with w from ggml's to_float",
        **meta, "toFloatMatchesGgufPy": not disagreeing, "cases": dot_out,
    })


def write(name, doc):
    path = OUT_DIR / name
    path.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
