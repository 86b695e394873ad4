#!/usr/bin/env python3
"""Writes the safetensors test fixtures and what the official `safetensors` package reports about them.

Run: /root/venv-ref/bin/python scripts/ref/safetensors-fixtures.py
Writes under test/golden/safetensors/:
  single.safetensors            F32, F16, BF16, a scalar, an empty tensor, I32 and U8, with __metadata__
  sharded/                      a two-shard checkpoint with model.safetensors.index.json, config.json, tokenizer files
  multimodal-legacy/            Gemma 3 multimodal layout as transformers < 4.52 wrote it (language_model.model.*)
  multimodal/                   the later layout (model.language_model.*, model.vision_tower.*, lm_head.*)
  transformers-text/            a tiny random Gemma3ForCausalLM saved by transformers' save_pretrained, sharded
  transformers-mm/              a tiny random Gemma3ForConditionalGeneration saved by save_pretrained
  expected.json                 names, dtypes, shapes, sha256 of the raw bytes and values, as safe_open reports them
  verdicts.json                 mutated headers, each with whether safe_open accepts it (and its error)
Tensors are written by safetensors.torch.save_file (torch gives BF16); raw bytes come from
safetensors.deserialize, values from safe_open(framework="pt").
"""
import base64
import hashlib
import json
import os
import random
import struct
import sys
import tempfile

import numpy as np
import safetensors
import torch
from safetensors import safe_open
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden", "safetensors")
rng = np.random.default_rng(20240611)


def floats(shape, dtype):
    t = torch.from_numpy(rng.standard_normal(shape).astype(np.float32)).to(dtype)
    flat = t.reshape(-1)
    # Edge values that bit-exact readers must keep: negative zero and a subnormal of the type.
    if flat.numel() >= 2:
        flat[0] = -0.0
        flat[1] = torch.finfo(dtype).smallest_normal / 4
    return t.contiguous()


def write(path, tensors, metadata=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file(tensors, path, metadata=metadata)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def write_golden(path, header, key, items):
    """Small golden JSON: the header fields, then one line per item of `key` (readable diffs, little padding)."""
    with open(path, "w") as f:
        f.write("{\n")
        for k, v in header.items():
            f.write(f"  {json.dumps(k)}: {json.dumps(v)},\n")
        f.write(f"  {json.dumps(key)}: {'[' if isinstance(items, list) else '{'}\n")
        rows = items if isinstance(items, list) else [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in items.items()]
        rows = [json.dumps(r) for r in rows] if isinstance(items, list) else rows
        f.write(",\n".join("    " + r for r in rows))
        f.write(f"\n  {']' if isinstance(items, list) else '}'}\n}}\n")


def describe_file(path):
    """What the official reader reports: per tensor dtype, shape, sha256 of its raw bytes, values when tiny."""
    with open(path, "rb") as f:
        raw = dict(safetensors.deserialize(f.read()))
    out = {}
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata()
        for name in f.keys():
            t = f.get_tensor(name)
            sl = f.get_slice(name)
            entry = {
                "dtype": sl.get_dtype(),
                "shape": list(sl.get_shape()),
                "sha256": hashlib.sha256(bytes(raw[name]["data"])).hexdigest(),
            }
            assert entry["dtype"] == raw[name]["dtype"] and entry["shape"] == list(raw[name]["shape"])
            if t.numel() <= 64:
                values = t.reshape(-1)
                entry["values"] = (values.double() if values.is_floating_point() else values.long()).tolist()
            out[name] = entry
    return {"metadata": metadata, "tensors": out}


def single():
    path = os.path.join(ROOT, "single.safetensors")
    write(
        path,
        {
            "weights.f32": floats((3, 4), torch.float32),
            "weights.f16": floats((2, 5), torch.float16),
            "weights.bf16": floats((4, 3), torch.bfloat16),
            "scalar.f32": torch.tensor(1.5, dtype=torch.float32),
            "empty.f32": torch.zeros((0, 3), dtype=torch.float32),
            "ids.i32": torch.tensor([[1, -2], [2147483647, -2147483648]], dtype=torch.int32),
            "mask.u8": torch.tensor([0, 1, 255, 7, 9], dtype=torch.uint8),
        },
        metadata={"format": "pt", "note": "gemma-ts fixture"},
    )
    return {"single.safetensors": describe_file(path)}


TEXT_CONFIG = {
    "architectures": ["Gemma3ForCausalLM"],
    "model_type": "gemma3_text",
    "hidden_size": 8,
    "intermediate_size": 16,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "head_dim": 4,
    "vocab_size": 6,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "torch_dtype": "bfloat16",
}


def text_layer(prefix, dtype):
    return {
        f"{prefix}embed_tokens.weight": floats((6, 8), dtype),
        f"{prefix}layers.0.input_layernorm.weight": floats((8,), dtype),
        f"{prefix}layers.0.self_attn.q_proj.weight": floats((8, 8), dtype),
        f"{prefix}layers.0.self_attn.k_proj.weight": floats((4, 8), dtype),
        f"{prefix}layers.0.mlp.down_proj.weight": floats((8, 16), dtype),
        f"{prefix}norm.weight": floats((8,), dtype),
    }


def sharded():
    folder = os.path.join(ROOT, "sharded")
    tensors = text_layer("model.", torch.bfloat16)
    tensors["lm_head.weight"] = floats((6, 8), torch.float32)
    names = sorted(tensors)
    parts = [names[: len(names) // 2], names[len(names) // 2 :]]
    weight_map = {}
    total = 0
    report = {}
    for i, part in enumerate(parts):
        shard = f"model-{i + 1:05d}-of-{len(parts):05d}.safetensors"
        write(os.path.join(folder, shard), {n: tensors[n] for n in part}, metadata={"format": "pt"})
        for n in part:
            weight_map[n] = shard
            total += tensors[n].numel() * tensors[n].element_size()
        report[f"sharded/{shard}"] = describe_file(os.path.join(folder, shard))
    write_json(os.path.join(folder, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})
    write_json(os.path.join(folder, "config.json"), TEXT_CONFIG)
    write_json(os.path.join(folder, "tokenizer_config.json"), {"add_bos_token": True, "model_max_length": 32768})
    write_json(os.path.join(folder, "tokenizer.json"), {"version": "1.0", "model": {"type": "fixture"}})
    return report


def multimodal(folder_name, text_prefix, lm_head, vision_prefix, projector):
    folder = os.path.join(ROOT, folder_name)
    tensors = text_layer(text_prefix, torch.float16)
    tensors[lm_head] = floats((6, 8), torch.float16)
    tensors[f"{vision_prefix}vision_model.embeddings.patch_embedding.weight"] = floats((4, 3, 2, 2), torch.float32)
    tensors[f"{vision_prefix}vision_model.post_layernorm.weight"] = floats((4,), torch.float32)
    tensors[projector] = floats((4, 8), torch.float32)
    write(os.path.join(folder, "model.safetensors"), tensors, metadata={"format": "pt"})
    write_json(
        os.path.join(folder, "config.json"),
        {
            "architectures": ["Gemma3ForConditionalGeneration"],
            "model_type": "gemma3",
            "text_config": TEXT_CONFIG,
            "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 4},
            "mm_tokens_per_image": 256,
        },
    )
    return {f"{folder_name}/model.safetensors": describe_file(os.path.join(folder, "model.safetensors"))}


def transformers_folders():
    """Folders exactly as transformers writes them (its own index, config and tensor names)."""
    import transformers
    from transformers import Gemma3Config, Gemma3ForCausalLM, Gemma3ForConditionalGeneration, Gemma3TextConfig, SiglipVisionConfig

    torch.manual_seed(0)
    text = Gemma3TextConfig(
        vocab_size=16, hidden_size=8, intermediate_size=16, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=1, head_dim=4,
    )
    Gemma3ForCausalLM(text).to(torch.bfloat16).save_pretrained(os.path.join(ROOT, "transformers-text"), max_shard_size="1KB")
    vision = SiglipVisionConfig(hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2, image_size=8, patch_size=4)
    config = Gemma3Config(text_config=text.to_dict(), vision_config=vision.to_dict(), mm_tokens_per_image=4)
    Gemma3ForConditionalGeneration(config).save_pretrained(os.path.join(ROOT, "transformers-mm"))
    report = {}
    for folder in ["transformers-text", "transformers-mm"]:
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".safetensors"):
                report[f"{folder}/{name}"] = describe_file(os.path.join(ROOT, folder, name))
    return report, transformers.__version__


def official_verdict(data):
    with tempfile.NamedTemporaryFile(suffix=".safetensors", delete=False) as f:
        f.write(data)
        path = f.name
    try:
        with safe_open(path, framework="numpy") as st:
            return {"ok": True, "names": sorted(st.keys())}
    except Exception as e:  # the official reader's refusal, whatever its class
        return {"ok": False, "error": str(e)}
    finally:
        os.unlink(path)


def mutated_headers(count):
    """Header edits around a small valid file; each case is the whole file's bytes."""
    r = random.Random(7)
    base = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
        "b": {"dtype": "BF16", "shape": [3], "data_offsets": [16, 22]},
        "c": {"dtype": "F16", "shape": [1, 2], "data_offsets": [22, 26]},
    }
    data = bytes(range(26))
    dtypes = ["F32", "F16", "BF16", "I8", "U8", "BOOL", "I64", "F64", "F8_E4M3", "F4", "f32", "Q4_0", "", "F6_E2M3"]
    odd_values = [None, True, "2", 2.5, 2.0, -1, [], {}, [2], 10**20, 2**53, 18446744073709551615]

    def pack(header_bytes, payload):
        return struct.pack("<Q", len(header_bytes)) + header_bytes + payload

    cases = []
    while len(cases) < count:
        h = json.loads(json.dumps(base))
        payload = data
        kind = r.randrange(12)
        name = r.choice(["a", "b", "c"])
        if kind == 0:
            h[name]["dtype"] = r.choice(dtypes)
        elif kind == 1:
            h[name]["shape"] = r.choice([[4], [2, 2, 1], [], [0], [5], [-2, -2], [1.5], "4", None, [2, [2]]])
        elif kind == 2:
            lo, hi = h[name]["data_offsets"]
            h[name]["data_offsets"] = r.choice(
                [[lo + 1, hi + 1], [lo - 1, hi - 1], [hi, lo], [lo, hi, 0], [lo], [lo, hi + 2], [0, hi - lo], [lo, 2**40], [lo, float(hi)]]
            )
        elif kind == 3:
            h[name][r.choice(["dtype", "shape", "data_offsets"])] = r.choice(odd_values)
        elif kind == 4:
            del h[name][r.choice(["dtype", "shape", "data_offsets"])]
        elif kind == 5:
            h["__metadata__"] = r.choice([None, "pt", {"x": 1}, {"x": None}, {"x": "1", "y": ["z"]}, [], {}])
        elif kind == 6:
            h[name]["extra"] = r.choice(odd_values)
        elif kind == 7:
            h = r.choice([[], "x", 3, None, {}, {"__metadata__": {}}])
            payload = r.choice([b"", data])
        elif kind == 8:
            payload = data[: r.randrange(len(data))] if r.random() < 0.5 else data + bytes(r.randrange(1, 5))
        header = json.dumps(h).encode()
        if kind == 9:
            header = header + b" " * r.randrange(8) + r.choice([b"", b"\x00", b"\n", b"\x0c", b"}", b"x"])
        blob = pack(header, payload)
        if kind == 10:
            b = bytearray(blob)
            for _ in range(r.randrange(1, 4)):
                b[r.randrange(8, 8 + len(header))] = r.randrange(256)
            blob = bytes(b)
        elif kind == 11:
            choice = r.randrange(4)
            if choice == 0:
                blob = blob[: r.randrange(len(blob))]
            elif choice == 1:
                blob = struct.pack("<Q", r.choice([0, len(header) - 1, len(header) + 1, 100_000_001, 2**63])) + blob[8:]
            elif choice == 2:
                at = r.randrange(8, 8 + len(header))
                blob = pack(header[:at - 8] + bytes(r.randrange(256) for _ in range(3)) + header[at - 8 :], payload)
            else:
                blob = pack(header, payload)[: 8 + len(header) // 2]
        cases.append({"kind": kind, "b64": base64.b64encode(blob).decode(), **official_verdict(blob)})
    return cases


def main():
    expected = {}
    expected.update(single())
    expected.update(sharded())
    expected.update(multimodal("multimodal-legacy", "language_model.model.", "language_model.lm_head.weight", "vision_tower.", "multi_modal_projector.mm_input_projection_weight"))
    expected.update(multimodal("multimodal", "model.language_model.", "lm_head.weight", "model.vision_tower.", "model.multi_modal_projector.mm_input_projection_weight"))
    made_by_transformers, transformers_version = transformers_folders()
    expected.update(made_by_transformers)
    versions = {
        "python": sys.version.split()[0],
        "safetensors": safetensors.__version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "transformers": transformers_version,
    }
    header = {"generator": "scripts/ref/safetensors-fixtures.py", "versions": versions}
    write_golden(os.path.join(ROOT, "expected.json"), header, "files", expected)
    cases = mutated_headers(300)
    write_golden(os.path.join(ROOT, "verdicts.json"), header, "cases", cases)
    print(f"wrote fixtures, {len(cases)} verdicts ({sum(c['ok'] for c in cases)} accepted)")


if __name__ == "__main__":
    main()
