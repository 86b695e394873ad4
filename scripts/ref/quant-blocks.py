"""Seeded inputs shared by the quantization test-vector generators (quant-vectors.py and
quant-harness-vectors.py): valid random rows of every stored tensor type, built byte by byte, and
activation rows with the awkward cases (rounding ties, zero blocks, tied extremes, tiny and large
magnitudes).

A random block is random bytes with its f16 scale fields replaced by sane values, so every bit
field (levels, packed scales, high bits) takes arbitrary values while the floats stay finite.
Loaded with importlib by the generators (the file name is not a module name).
"""
import numpy as np

# ggml type ids (ggml-org/llama.cpp:ggml/include/ggml.h) and block geometry
# (ggml/src/ggml-common.h): (name, id, elements per block, bytes per block, offsets of f16 scale fields).
TYPES = {
    "F32": (0, 1, 4, ()),
    "F16": (1, 1, 2, ()),
    "BF16": (30, 1, 2, ()),
    "Q4_0": (2, 32, 18, (0,)),
    "Q4_1": (3, 32, 20, (0, 2)),
    "Q5_0": (6, 32, 22, (0,)),
    "Q5_1": (7, 32, 24, (0, 2)),
    "Q8_0": (8, 32, 34, (0,)),
    "Q2_K": (10, 256, 84, (80, 82)),
    "Q3_K": (11, 256, 110, (108,)),
    "Q4_K": (12, 256, 144, (0, 2)),
    "Q5_K": (13, 256, 176, (0, 2)),
    "Q6_K": (14, 256, 210, (208,)),
    "IQ4_NL": (20, 32, 18, (0,)),
    "IQ4_XS": (23, 256, 136, (0,)),
}


def type_id(name):
    return TYPES[name][0]


def block_size(name):
    return TYPES[name][1]


def row_bytes(name, n):
    _, blk, size, _ = TYPES[name]
    assert n % blk == 0, (name, n)
    return n // blk * size


def sane_scales(rng, count):
    """f16 scales of magnitude 1e-4..1e-1 and either sign; rows of 4 blocks or more start with three
    edge cases (zero, an f16 subnormal, a fixed negative), shorter rows have none."""
    values = rng.choice([-1.0, 1.0], count) * 10.0 ** rng.uniform(-4, -1, count)
    if count >= 4:
        values[:3] = [0.0, 2.0**-20, -0.03]
    return values.astype(np.float16)


def finite_halves(rng, count, dtype):
    """Random 16-bit floats of `dtype` ('f16' or 'bf16'): any bit pattern with a finite value."""
    bits = rng.integers(0, 1 << 16, count, dtype=np.uint32)
    exponent = 0x7C00 if dtype == "f16" else 0x7F80
    bits[(bits & exponent) == exponent] &= ~exponent & 0xFFFF  # inf/NaN -> same sign and mantissa, exponent 0
    return bits.astype(np.uint16)


def rounding_ties(rng, n):
    """Floats exactly halfway between two neighbouring halves (f16 for the first half of the row,
    bfloat16 for the second): the round-to-nearest-even cases of the F16/BF16 conversions."""
    h = finite_halves(rng, n // 2, "f16")
    lo = h.view(np.float16).astype(np.float64)
    hi = (h + 1).view(np.float16).astype(np.float64)
    f16_ties = ((lo + hi) / 2).astype(np.float32)
    b = finite_halves(rng, n - f16_ties.size, "bf16").astype(np.uint32)
    bf16_ties = ((b << 16) | 0x8000).view(np.float32)
    row = np.concatenate([f16_ties, bf16_ties]).astype(np.float32)
    return np.nan_to_num(row, nan=0.0, posinf=0.0, neginf=0.0)  # the largest finite halves have no upper neighbour


def random_row(rng, name, n):
    """One valid row of `n` elements of type `name`, as bytes."""
    _, blk, size, scale_offsets = TYPES[name]
    if name == "F32":
        return rng.normal(0, 1, n).astype(np.float32).tobytes()
    if name in ("F16", "BF16"):
        return finite_halves(rng, n, name.lower()).tobytes()
    nb = n // blk
    blocks = rng.integers(0, 256, (nb, size), dtype=np.uint8)
    for off in scale_offsets:
        blocks[:, off : off + 2] = sane_scales(rng, nb).view(np.uint8).reshape(nb, 2)
    return blocks.tobytes()


def dot_weight_row(rng, name, n):
    """A weight row for dot products: random blocks for block types, weight-like values for float
    types (random bit patterns of F16/BF16 would overflow the sums)."""
    if name not in ("F32", "F16", "BF16"):
        return random_row(rng, name, n)
    x = weight_like_row(rng, n)
    if name == "F16":
        return x.astype(np.float16).tobytes()
    if name == "BF16":
        return (x.view(np.uint32) >> 16).astype(np.uint16).tobytes()
    return x.tobytes()


def weight_like_row(rng, n):
    """A float row with the structure of real weights: mostly small normal values, a few outliers."""
    x = rng.normal(0, 0.05, n)
    outliers = rng.choice(n, max(1, n // 64), replace=False)
    x[outliers] *= rng.uniform(5, 20, outliers.size)
    return x.astype(np.float32)


def activation_rows(rng, n, block):
    """Activation rows of length n (a multiple of `block`, the activation block size) with one
    awkward case per block in the second row: exact rounding ties with amax mapped to 127, an
    all-zero block, +max and -max tied, f16-subnormal scale, huge values, a single non-zero."""
    rows = [rng.normal(0, 1, n).astype(np.float32)]
    special = np.zeros(n, dtype=np.float32)
    cases = []
    for start in range(0, n, block):
        b = rng.normal(0, 1, block)
        case = (start // block) % 7
        if case == 0:  # ties: the largest magnitude is 127 (its sign chosen so Q8_K's scale is 1) and
            # the rest are k + 0.5, exactly halfway between two levels
            b = rng.integers(-100, 100, block) + 0.5
            b[rng.integers(0, block)] = -127.0
        elif case == 1:
            b[:] = 0.0
        elif case == 2:  # -max and +max tie: ggml's Q8_K takes the first
            b = np.clip(b, -3.9, 3.9)
            b[3], b[9] = -4.0, 4.0
        elif case == 3:  # the scale is an f16 subnormal
            b *= 1e-7
        elif case == 4:
            b *= 3000.0
        elif case == 5:
            b[:] = 0.0
            b[rng.integers(0, block)] = -0.375
        cases.append(case)
        special[start : start + block] = b
    rows.append(special)
    rows.append(weight_like_row(rng, n))
    return rows
