"""Weight-quantization test vectors from ggml itself: random f32 rows quantized by ggml_quantize_chunk
without an importance matrix (the quantize_row_*_ref reference quantizers, what llama-quantize writes),
through our C harness (scripts/ref/ggml-harness/, command 'Q') built against the llama.cpp sources
bundled with node-llama-cpp. The native and scalar builds must agree byte for byte (the reference
quantizers live in ggml-base, which neither build compiles with SIMD); the script stops otherwise.

Writes test/golden/quant/ggml-weight-quantize.json: per type, rows of inputs (f32, base64) and ggml's
bytes (base64). test/quant/ggml-weight-quantize.test.ts compares quantizeRow with them.

Run by hand (needs cmake and gcc; building the harnesses takes minutes):
  /root/venv-ref/bin/python scripts/ref/quant-weight-vectors.py [--harness-dir DIR]
Without --harness-dir the harnesses are built into a temporary directory first.
"""
import argparse
import base64
import json
import pathlib
import struct
import subprocess
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "test/golden/quant/ggml-weight-quantize.json"
BUILD = ROOT / "scripts/ref/ggml-harness/build.sh"
SEED = 20261128
# ggml type id, elements per block, bytes per block
TYPES = {"Q4_0": (2, 32, 18), "Q4_1": (3, 32, 20), "Q5_0": (6, 32, 22), "Q5_1": (7, 32, 24), "Q8_0": (8, 32, 34),
         "Q4_K": (12, 256, 144), "Q6_K": (14, 256, 210)}
N = 512


def rows(rng):
    """Named f32 rows of N elements: the shapes real weights take and the corner cases of the searches."""
    g = lambda s: rng.standard_normal(N) * s
    out = {
        "gaussian 0.02": g(0.02),
        "gaussian 1": g(1.0),
        "gaussian 0.02, bf16-rounded": bf16_round(g(0.02)),
        "uniform -1..1": rng.uniform(-1, 1, N),
        "heavy tails (student t, 2 dof)": rng.standard_t(2, N) * 0.05,
        "gaussian with outliers": np.where(rng.random(N) < 0.01, g(3.0), g(0.02)),
        "all positive": np.abs(g(0.5)) + 0.01,
        "all negative": -np.abs(g(0.5)) - 0.01,
        "positive offset": g(0.1) + 0.3,
        "half-integers (ties)": np.round(g(4.0) * 2) / 2,
        "small integers": np.round(g(3.0)),
        "constant": np.full(N, 0.37),
        "tiny (1e-20)": g(1e-20),
        "mixed scales per 32": g(1.0) * np.repeat(10.0 ** rng.uniform(-4, 1, N // 32), 32),
        "mixed scales per 16": g(1.0) * np.repeat(10.0 ** rng.uniform(-4, 1, N // 16), 16),
        "sparse (90% zero)": np.where(rng.random(N) < 0.9, 0.0, g(0.1)),
        "large (1e4)": g(1e4),
    }
    z = g(0.05)
    z[0:256] = 0.0  # a whole zero super-block
    z[256 + 64:256 + 96] = 0.0  # a zero sub-block
    out["zero blocks"] = z
    for i in range(6):
        out[f"gaussian 0.05 #{i}"] = g(0.05)
    return {k: v.astype(np.float32) for k, v in out.items()}


def bf16_round(x):
    b = x.astype(np.float32).view(np.uint32)
    b = (b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000
    return b.view(np.float32)


def quantize_all(harness, inputs):
    commands = []
    for name, (type_id, _, _) in TYPES.items():
        for x in inputs.values():
            commands.append(b"Q" + struct.pack("<II", type_id, x.size) + x.astype("<f4").tobytes())
    out = subprocess.run([harness], input=b"".join(commands), capture_output=True, check=True).stdout
    replies, pos = [], 0
    for name, (_, block, size) in TYPES.items():
        for x in inputs.values():
            (length,) = struct.unpack_from("<I", out, pos)
            assert length == x.size // block * size, f"{name}: harness returned {length} bytes"
            replies.append(out[pos + 4:pos + 4 + length])
            pos += 4 + length
    assert pos == len(out), "harness output has trailing bytes"
    return replies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--harness-dir", type=pathlib.Path)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hdir = args.harness_dir
        if hdir is None:
            hdir = pathlib.Path(tmp)
            subprocess.run(["bash", str(BUILD), str(hdir)], check=True)
        versions = (hdir / "versions.txt").read_text().strip().splitlines()
        inputs = rows(np.random.default_rng(SEED))
        native = quantize_all(str(hdir / "harness-native"), inputs)
        scalar = quantize_all(str(hdir / "harness-scalar"), inputs)
    assert native == scalar, "native and scalar ggml builds quantize differently"
    b64 = lambda b: base64.b64encode(bytes(b)).decode("ascii")
    replies = iter(native)
    doc = {
        "generator": "scripts/ref/quant-weight-vectors.py",
        "reference": "ggml_quantize_chunk(type, row, out, 0, 1, n, NULL) in the harness (native and scalar builds agree)",
        "versions": versions + [f"numpy {np.__version__}"],
        "seed": SEED,
        "n": N,
        "rows": [{"name": k, "x": b64(v.astype("<f4").tobytes())} for k, v in inputs.items()],
        "types": {name: {"id": TYPES[name][0], "quantized": [b64(next(replies)) for _ in inputs]} for name in TYPES},
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
