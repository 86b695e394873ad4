"""Quantization test vectors from gguf-py (the `gguf` package's numpy re-implementation of ggml's
reference quantizers and dequantizers) -> test/golden/quant/gguf-py-vectors.json.

- "quantize": seeded float rows quantized by gguf.quants.quantize (F16, BF16, Q4_0, Q4_1, Q5_0,
  Q5_1, Q8_0: the types gguf-py can quantize) and dequantized again by gguf.quants.dequantize.
- "dequantize": valid random rows of every supported stored type (random bytes, sane f16 scales;
  see quant-blocks.py) dequantized by gguf.quants.dequantize.
Floats are stored as base64 of little-endian f32 bit patterns, so comparisons can be bit-exact.

Run: /root/venv-ref/bin/python scripts/ref/quant-vectors.py
"""
import base64
import importlib.metadata
import importlib.util
import json
import pathlib
import platform

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize, quantize

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "test/golden/quant/gguf-py-vectors.json"
SEED = 20260601

spec = importlib.util.spec_from_file_location("quant_blocks", pathlib.Path(__file__).with_name("quant-blocks.py"))
blocks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(blocks)

QUANTIZABLE = ("F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0")


def b64(data):
    return base64.b64encode(np.ascontiguousarray(data).tobytes()).decode("ascii")


def as_bytes(array):
    return np.ascontiguousarray(array).view(np.uint8)


def main():
    rng = np.random.default_rng(SEED)
    quantized = []
    for name in QUANTIZABLE:
        qtype = GGMLQuantizationType[name]
        rows = blocks.activation_rows(rng, 256, 32)
        if name in ("F16", "BF16"):
            rows.append(blocks.rounding_ties(rng, 256))
        x = np.stack(rows)
        with np.errstate(over="ignore"):  # F16 rows hold values beyond the f16 range on purpose
            q = as_bytes(quantize(x, qtype))
        y = dequantize(q, qtype).astype(np.float32)
        quantized.append({
            "type": name, "typeId": blocks.type_id(name), "n": x.shape[1], "rows": x.shape[0],
            "input": b64(x), "bytes": b64(q), "dequantized": b64(y),
        })

    dequantized = []
    for name in blocks.TYPES:
        n = 4 * 256 if blocks.block_size(name) == 256 else 512
        row = np.frombuffer(blocks.random_row(rng, name, n), dtype=np.uint8).reshape(1, -1)
        y = dequantize(row, GGMLQuantizationType[name]).astype(np.float32)
        assert np.isfinite(y).all(), name
        dequantized.append({"type": name, "typeId": blocks.type_id(name), "n": n, "bytes": b64(row), "dequantized": b64(y)})

    doc = {
        "about": "gguf-py quantize/dequantize outputs for seeded inputs; floats are base64 little-endian f32",
        "generator": "scripts/ref/quant-vectors.py",
        "versions": {
            "gguf": importlib.metadata.version("gguf"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "seed": SEED,
        "quantize": quantized,
        "dequantize": dequantized,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
