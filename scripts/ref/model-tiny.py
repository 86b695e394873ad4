"""Tiny random-weight Gemma 1/2/3 fixtures and their reference logits (transformers fp32 and llama.cpp).

Run: /root/venv-ref/bin/python scripts/ref/model-tiny.py      (about a minute)

For every fixture below it writes
  test/fixtures/tiny/<name>/config.json + model.safetensors   Hugging Face folder, config in the classic
                                                               (transformers 4.x) key layout of Google's checkpoints
  test/fixtures/tiny/<name>.gguf                              the same weights as an F32 GGUF laid out like
                                                               llama.cpp's convert_hf_to_gguf.py output (norms stored
                                                               as 1 + w, SPM vocabulary, the same metadata keys)
  test/golden/model/tiny-<name>.json                          logits at every position from transformers (eager
                                                               attention, float32) and from llama.cpp (through
                                                               node-llama-cpp in a child process: F32 K/V cache, no flash
                                                               attention), hidden-state norms, agreement numbers
The weights come from numpy's seeded PCG64 generator, so they do not depend on the torch version. The script
checks itself: llama.cpp must agree with transformers within 5e-3, and within 1e-4 (1e-3 for the 46-layer
gemma2-qscale, see its note) once transformers uses ggml's fp16 GELU table (see `GgmlGelu`); transformers
fp32 must agree with fp64 within 1e-5 of the largest logit; each fixture feature (sliding window, soft-caps,
RoPE scaling, ...) must move the logits far beyond those tolerances.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import pathlib
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable

import gguf
import numpy as np
import torch
import transformers
from safetensors.numpy import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "test/fixtures/tiny"
GOLDEN = ROOT / "test/golden/model"
WORKER = ROOT / "scripts/ref/llama-worker.mjs"

SEQUENCE_LENGTH = 40
LOGIT_DIGITS = 6
MAX_FIXTURE_BYTES = 400_000
TOL_PLAIN = 5e-3  # llama.cpp's fp16 GELU table vs exact tanh GELU
TOL_FP16_GELU = 1e-4  # with the table emulated on the transformers side
MIN_SENSITIVITY = 0.05  # dropping a feature must move some logit by more than this

# ---------------------------------------------------------------------------------------------------------
# Vocabulary: Gemma's special ids, the 256 byte-fallback pieces, some words, the chat turn markers.
# Token types as in llama.cpp (src/llama-vocab.h): 1 normal, 2 unknown, 3 control, 6 byte.
WORDS = [
    "▁", "▁the", "▁a", "▁of", "▁and", "▁to", "▁in", "▁is", "▁it", "▁that", "▁hello", "▁world", "▁model",
    "▁token", "▁Gemma", "▁runs", "▁browser", ",", ".", "!", "?", "\n", "\n\n", "▁▁", "ing", "ed",
    "er", "s", "▁user", "▁cat", "▁sat", "▁on", "▁mat", "▁time", "▁space", "▁light",
]


def build_vocab() -> tuple[list[str], list[float], list[int]]:
    pieces = ["<pad>", "<eos>", "<bos>", "<unk>"]
    types = [3, 3, 3, 2]
    pieces += [f"<0x{b:02X}>" for b in range(256)]
    types += [6] * 256
    pieces += WORDS
    types += [1] * len(WORDS)
    pieces += ["<start_of_turn>", "<end_of_turn>"]
    types += [3, 3]
    # SPM scores: higher merges first; words get descending scores, everything else 0 like Gemma's specials/bytes.
    scores = [0.0] * len(pieces)
    for i in range(len(WORDS)):
        scores[260 + i] = -float(i)
    return pieces, scores, types


PIECES, SCORES, TOKEN_TYPES = build_vocab()
VOCAB = len(PIECES)
START_OF_TURN, END_OF_TURN = VOCAB - 2, VOCAB - 1


# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """A change to the loaded transformers config (before the model is built) or to its weights (after)."""

    config: Callable[[transformers.PretrainedConfig], None] | None = None
    weights: Callable[[torch.nn.Module], None] | None = None


def set_config(**values) -> Variant:
    return Variant(config=lambda c: [setattr(c, k, v) for k, v in values.items()])


def set_rope(layer_type: str, **values) -> Variant:
    return Variant(config=lambda c: c.rope_parameters[layer_type].update(values))


def zero_qk_norms(model: torch.nn.Module) -> None:
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.q_norm.weight.zero_()
            layer.self_attn.k_norm.weight.zero_()


@dataclass(frozen=True)
class Spec:
    """One fixture: the Hugging Face config (classic key layout) and how to draw its weights."""

    name: str
    arch: str  # GGUF general.architecture
    seed: int
    config: dict
    q_gain: float = 1.0  # scales q_proj so that soft-capped attention scores reach the cap
    embed_std: float = 0.5
    branch_scale: float = 1.0  # Gemma 2/3 post-attention/post-FFN norm scales are branch_scale * U(0.5, 1.5)
    final_norm_scale: float = 1.0  # final norm scales are final_norm_scale * U(0.5, 1.5): sets the logit range
    fp16_gelu_tolerance: float = TOL_FP16_GELU
    sensitivity: dict = field(default_factory=dict)  # label -> Variant that drops one feature

    @property
    def layers(self) -> int:
        return self.config["num_hidden_layers"]


COMMON = {
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 2,
    "eos_token_id": 1,
    "pad_token_id": 0,
    "initializer_range": 0.02,
    "max_position_embeddings": 512,
    "rms_norm_eps": 1e-6,
    "torch_dtype": "float32",
    "use_cache": True,
    "vocab_size": VOCAB,
}

# Final norm scales of ~0.3 keep |logits| near 10, so that llama.cpp's fp16-GELU gap stays well below 5e-3.
SPECS = [
    # Gemma 1: MQA (K = 1), H * head_dim != hidden, all layers global, no soft-caps.
    Spec("gemma", "gemma", 1001, {
        **COMMON, "architectures": ["GemmaForCausalLM"], "model_type": "gemma",
        "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 24, "rope_theta": 10000.0,
    }, final_norm_scale=0.3),
    # Gemma 2: GQA, alternating local (even) / global (odd) layers, attention and final soft-caps.
    Spec("gemma2", "gemma2", 1002, {
        **COMMON, "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
        "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 64, "intermediate_size": 32, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "query_pre_attn_scalar": 16,
        "rope_theta": 10000.0, "sliding_window": 8, "attn_logit_softcapping": 5.0, "final_logit_softcapping": 10.0,
        "cache_implementation": "hybrid",
    }, q_gain=2.0, sensitivity={
        "no sliding window": set_config(sliding_window=4096),
        "no attention soft-cap": set_config(attn_logit_softcapping=None),
        "no final soft-cap": set_config(final_logit_softcapping=None),
    }),
    # Gemma 2 with query_pre_attn_scalar = hidden / heads != head_dim, as in Gemma 2 27B. llama.cpp does not
    # read that scalar from the file: it uses 1/sqrt(n_embd/n_head) only for 46-layer gemma2 models (its 27B
    # detection, src/models/gemma2.cpp), hence 46 very thin layers.
    # Small branch scales keep the 46-layer stack well conditioned (fp32 vs fp64 in the golden). Even so, over
    # 29k GELU calls a few inputs land on the other side of an fp16 rounding boundary in llama.cpp than in the
    # emulation, so the fp16-GELU agreement is only ~5e-4 here.
    Spec("gemma2-qscale", "gemma2", 1003, {
        **COMMON, "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
        "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 46,
        "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4, "query_pre_attn_scalar": 8,
        "rope_theta": 10000.0, "sliding_window": 4, "attn_logit_softcapping": 5.0, "final_logit_softcapping": 10.0,
        "cache_implementation": "hybrid",
    }, q_gain=2.0, branch_scale=0.15, fp16_gelu_tolerance=1e-3, sensitivity={
        "query_pre_attn_scalar = head_dim": set_config(query_pre_attn_scalar=4),
        "no sliding window": set_config(sliding_window=4096),
    }),
    # Gemma 3: QK-norm, 5 local : 1 global, window 8 < sequence, local RoPE base 1e4, global 1e6 with linear
    # scaling 8 (as Gemma 3 4B+), GQA with 2 KV groups, head_dim (8) != hidden / heads (16).
    Spec("gemma3", "gemma3", 1004, {
        **COMMON, "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": 64, "intermediate_size": 32, "num_hidden_layers": 6,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "query_pre_attn_scalar": 8,
        "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 8.0},
        "sliding_window": 8, "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
        "attn_logit_softcapping": None, "final_logit_softcapping": None, "use_bidirectional_attention": False,
    }, final_norm_scale=0.3, sensitivity={
        "no sliding window": set_config(sliding_window=4096),
        "no linear RoPE scaling": set_rope("full_attention", rope_type="default", factor=1.0),
        "local RoPE base = global": set_rope("sliding_attention", rope_theta=1000000.0),
        "QK-norm weights w = 0": Variant(weights=zero_qk_norms),
    }),
]


# ---------------------------------------------------------------------------------------------------------
def draw_weights(spec: Spec) -> dict[str, np.ndarray]:
    """HF-named float32 tensors, drawn in a fixed order. Norm weights are the HF offsets w (scale is 1 + w)."""
    c = spec.config
    rng = np.random.default_rng(spec.seed)
    d, f, hd = c["hidden_size"], c["intermediate_size"], c["head_dim"]
    h, k = c["num_attention_heads"], c["num_key_value_heads"]
    gemma1 = spec.arch == "gemma"

    def linear(out_dim: int, in_dim: int, gain: float = 1.0) -> np.ndarray:
        return (rng.standard_normal((out_dim, in_dim)) * (gain / math.sqrt(in_dim))).astype(np.float32)

    def norm(dim: int, scale: float = 1.0) -> np.ndarray:
        return (scale * rng.uniform(0.5, 1.5, dim) - 1.0).astype(np.float32)

    w = {"model.embed_tokens.weight": (rng.standard_normal((VOCAB, d)) * spec.embed_std).astype(np.float32)}
    for i in range(spec.layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm(d)
        w[p + "self_attn.q_proj.weight"] = linear(h * hd, d, spec.q_gain)
        w[p + "self_attn.k_proj.weight"] = linear(k * hd, d)
        w[p + "self_attn.v_proj.weight"] = linear(k * hd, d)
        w[p + "self_attn.o_proj.weight"] = linear(d, h * hd)
        if spec.arch == "gemma3":
            w[p + "self_attn.q_norm.weight"] = norm(hd)
            w[p + "self_attn.k_norm.weight"] = norm(hd)
        w[p + "post_attention_layernorm.weight"] = norm(d) if gemma1 else norm(d, spec.branch_scale)
        if not gemma1:
            w[p + "pre_feedforward_layernorm.weight"] = norm(d)
            w[p + "post_feedforward_layernorm.weight"] = norm(d, spec.branch_scale)
        w[p + "mlp.gate_proj.weight"] = linear(f, d)
        w[p + "mlp.up_proj.weight"] = linear(f, d)
        w[p + "mlp.down_proj.weight"] = linear(d, f)
    w["model.norm.weight"] = norm(d, spec.final_norm_scale)
    return w


def draw_ids(spec: Spec) -> list[int]:
    """BOS, then seeded ids over the whole vocabulary except pad/BOS, with one chat turn marker pair."""
    rng = np.random.default_rng(spec.seed + 7)
    ids = [2] + [int(t) for t in rng.integers(3, VOCAB, SEQUENCE_LENGTH - 1)]
    ids[1], ids[SEQUENCE_LENGTH // 2] = START_OF_TURN, END_OF_TURN
    return [t if t != 0 else 1 for t in ids]


# ---------------------------------------------------------------------------------------------------------
# GGUF names (llama.cpp gguf-py/gguf/constants.py); Gemma 1's HF post_attention_layernorm is its pre-FFN norm.
def gguf_tensor_name(spec: Spec, hf_name: str) -> str:
    if hf_name == "model.embed_tokens.weight":
        return "token_embd.weight"
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    parts = hf_name.split(".")
    layer, rest = parts[2], ".".join(parts[3:])
    table = {
        "input_layernorm.weight": "attn_norm.weight",
        "self_attn.q_proj.weight": "attn_q.weight",
        "self_attn.k_proj.weight": "attn_k.weight",
        "self_attn.v_proj.weight": "attn_v.weight",
        "self_attn.o_proj.weight": "attn_output.weight",
        "self_attn.q_norm.weight": "attn_q_norm.weight",
        "self_attn.k_norm.weight": "attn_k_norm.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight" if spec.arch == "gemma" else "post_attention_norm.weight",
        "pre_feedforward_layernorm.weight": "ffn_norm.weight",
        "post_feedforward_layernorm.weight": "post_ffw_norm.weight",
        "mlp.gate_proj.weight": "ffn_gate.weight",
        "mlp.up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    return f"blk.{layer}.{table[rest]}"


def add_model_keys(w: gguf.GGUFWriter, name: str, c: dict, layers: int) -> None:
    """The keys every tiny F32 model carries, in the converter's order (conversion/gemma.py)."""
    w.add_name(name)
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(c["hidden_size"])
    w.add_block_count(layers)
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_head_count(c["num_attention_heads"])
    w.add_head_count_kv(c["num_key_value_heads"])
    w.add_key_length(c["head_dim"])
    w.add_value_length(c["head_dim"])
    w.add_layer_norm_rms_eps(c["rms_norm_eps"])
    w.add_file_type(gguf.LlamaFileType.ALL_F32)


def add_tokenizer_keys(w: gguf.GGUFWriter, add_eos: bool) -> None:
    """The tiny vocabulary as Gemma's SentencePiece tokenizer keys (ids 0-3: pad, eos, bos, unk)."""
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(PIECES)
    w.add_token_scores(SCORES)
    w.add_token_types(TOKEN_TYPES)
    w.add_bos_token_id(2)
    w.add_eos_token_id(1)
    w.add_unk_token_id(3)
    w.add_pad_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(add_eos)
    w.add_add_space_prefix(False)


def add_weights(w: gguf.GGUFWriter, spec: Spec, weights: dict[str, np.ndarray]) -> None:
    """The HF tensors under llama.cpp's names, as F32; norms get the +1 the converter adds."""
    for hf_name, tensor in weights.items():
        data = tensor + np.float32(1.0) if hf_name.endswith("norm.weight") else tensor
        w.add_tensor(gguf_tensor_name(spec, hf_name), np.ascontiguousarray(data, dtype=np.float32))


def write_gguf(spec: Spec, weights: dict[str, np.ndarray], path: pathlib.Path) -> None:
    """Keys as llama.cpp's converter writes them for each arch (conversion/gemma.py); norms get +1."""
    c = spec.config
    w = gguf.GGUFWriter(str(path), spec.arch)
    add_model_keys(w, f"tiny-{spec.name}", c, spec.layers)
    if spec.arch == "gemma2":
        w.add_attn_logit_softcapping(c["attn_logit_softcapping"])
        w.add_final_logit_softcapping(c["final_logit_softcapping"])
        w.add_sliding_window(c["sliding_window"])
    if spec.arch == "gemma3":
        # Like the converter: only the global base is written; llama.cpp's default local base is 10000.
        w.add_rope_freq_base(c["rope_theta"])
        w.add_sliding_window(c["sliding_window"])
        w.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
        w.add_rope_scaling_factor(c["rope_scaling"]["factor"])
    add_tokenizer_keys(w, add_eos=False)
    add_weights(w, spec, weights)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# ---------------------------------------------------------------------------------------------------------
class GgmlGelu(torch.nn.Module):
    """ggml's CPU GELU (GGML_GELU_FP16 in ggml/src/ggml-cpu/vec.h): the input is rounded to fp16, looked up in
    a table of fp16(gelu_tanh(.)) computed in float32, inputs <= -10 give 0 and inputs >= 10 pass through."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x.to(torch.float16).to(torch.float32)
        sqrt_2_over_pi = torch.tensor(0.79788456080286535587989211986876, dtype=torch.float32)
        g = 0.5 * h * (1.0 + torch.tanh(sqrt_2_over_pi * h * (1.0 + 0.044715 * h * h)))
        table = g.to(torch.float16).to(torch.float32)
        return torch.where(x <= -10.0, torch.zeros_like(x), torch.where(x >= 10.0, x, table))


def load_hf(folder: pathlib.Path, variant: Variant | None = None) -> torch.nn.Module:
    model = transformers.AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager", dtype=torch.float32)
    if variant is not None and variant.config is not None:
        config = transformers.AutoConfig.from_pretrained(folder)
        variant.config(config)
        changed = transformers.AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
        changed.load_state_dict(model.state_dict())
        model = changed
    if variant is not None and variant.weights is not None:
        variant.weights(model)
    return model.eval()


def hf_forward(model: torch.nn.Module, ids: list[int], fp16_gelu: bool = False):
    """Logits [T, V], per-layer hidden-state L2 norms [L + 1][T], the last layer's residual norms [T]."""
    if fp16_gelu:
        for layer in model.model.layers:
            layer.mlp.act_fn = GgmlGelu()
    captured = {}
    hook = model.model.layers[-1].register_forward_hook(
        lambda _m, _i, out: captured.__setitem__("residual", out[0] if isinstance(out, tuple) else out))
    with torch.no_grad():
        out = model(torch.tensor([ids]), output_hidden_states=True, use_cache=False)
    hook.remove()
    logits = out.logits[0].double().numpy()
    norms = [hs[0].double().norm(dim=-1).numpy() for hs in out.hidden_states]
    return logits, norms, captured["residual"][0].double().norm(dim=-1).numpy()


def llama_logits(gguf_path: pathlib.Path, ids: list[int]) -> tuple[np.ndarray, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        job = pathlib.Path(tmp) / "job.json"
        result = pathlib.Path(tmp) / "result.json"
        job.write_text(json.dumps({
            "model": str(gguf_path),
            "context": {"contextSize": 64, "batchSize": 64, "threads": 1},
            "tasks": [{"kind": "fullLogits", "ids": ids}],
        }))
        subprocess.run(["node", str(WORKER), str(job), str(result)], check=True, cwd=ROOT)
        data = json.loads(result.read_text())
    logits = np.array(data["results"][0]["logits"], dtype=np.float64)
    return logits, data


# ---------------------------------------------------------------------------------------------------------
def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rounded(array: np.ndarray, digits: int = LOGIT_DIGITS) -> list:
    return np.round(array, digits).tolist()


def package_version(name: str) -> str:
    return json.loads((ROOT / "node_modules" / name / "package.json").read_text())["version"]


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"self-check failed: {message}")


def format_json(value, indent: str = "") -> str:
    """One line per row of numbers (one position's logits per line)."""
    def leaf(v) -> bool:
        return not isinstance(v, (dict, list)) or (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v))
    if leaf(value):
        return json.dumps(value, ensure_ascii=False)
    inner = indent + " "
    if isinstance(value, list):
        return "[\n" + ",\n".join(inner + format_json(v, inner) for v in value) + "\n" + indent + "]"
    return "{\n" + ",\n".join(f"{inner}{json.dumps(k)}: {format_json(v, inner)}" for k, v in value.items()) + "\n" + indent + "}"


def config_summary(spec: Spec, model: torch.nn.Module) -> dict:
    """The semantics transformers derived from config.json, for readers of the golden."""
    c = model.config
    return {
        "arch": spec.arch,
        "hiddenSize": c.hidden_size,
        "layers": c.num_hidden_layers,
        "heads": c.num_attention_heads,
        "kvHeads": c.num_key_value_heads,
        "headDim": c.head_dim,
        "ffn": c.intermediate_size,
        "vocab": c.vocab_size,
        "layerTypes": getattr(c, "layer_types", None) or ["full_attention"] * c.num_hidden_layers,
        "slidingWindow": getattr(c, "sliding_window", None),
        "queryPreAttnScalar": getattr(c, "query_pre_attn_scalar", c.head_dim),
        "attnLogitSoftcapping": getattr(c, "attn_logit_softcapping", None),
        "finalLogitSoftcapping": getattr(c, "final_logit_softcapping", None),
        "ropeParameters": c.rope_parameters,
        "rmsNormEps": c.rms_norm_eps,
    }


def build(spec: Spec, versions: dict) -> dict:
    folder = FIXTURES / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    gguf_path = FIXTURES / f"{spec.name}.gguf"
    weights = draw_weights(spec)
    (folder / "config.json").write_text(json.dumps(spec.config, indent=2) + "\n")
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
    write_gguf(spec, weights, gguf_path)
    for path in (folder / "model.safetensors", gguf_path):
        check(path.stat().st_size < MAX_FIXTURE_BYTES, f"{path.name} is {path.stat().st_size} bytes")

    ids = draw_ids(spec)
    model = load_hf(folder)
    hf, hidden_norms, last_residual = hf_forward(model, ids)
    hf16, _, _ = hf_forward(load_hf(folder), ids, fp16_gelu=True)
    hf64, _, _ = hf_forward(load_hf(folder).double(), ids)
    fp64_diff = float(np.abs(hf64 - hf).max())
    llama, worker = llama_logits(gguf_path, ids)
    check(llama.shape == hf.shape, f"{spec.name}: llama.cpp logits {llama.shape}, transformers {hf.shape}")

    diff = float(np.abs(llama - hf).max())
    diff16 = float(np.abs(llama - hf16).max())
    argmax_agree = int((llama.argmax(-1) == hf.argmax(-1)).sum())
    sensitivity = {}
    for label, variant in spec.sensitivity.items():
        sensitivity[label] = float(np.abs(hf_forward(load_hf(folder, variant), ids)[0] - hf).max())
    print(f"{spec.name}: max|llama - hf| = {diff:.2e}, with fp16 GELU {diff16:.2e}, hf fp32 vs fp64 {fp64_diff:.1e}, "
          f"argmax {argmax_agree}/{len(ids)}, "
          f"max|logit| {np.abs(hf).max():.2f}, sensitivity {sensitivity}")
    check(diff <= TOL_PLAIN, f"{spec.name}: llama.cpp vs transformers {diff}")
    check(diff16 <= spec.fp16_gelu_tolerance, f"{spec.name}: llama.cpp vs transformers with fp16 GELU {diff16}")
    check(fp64_diff <= 1e-5 * np.abs(hf).max(), f"{spec.name}: transformers fp32 vs fp64 {fp64_diff}")
    for label, delta in sensitivity.items():
        check(delta > MIN_SENSITIVITY, f"{spec.name}: '{label}' changes the logits by only {delta}")

    return {
        "about": "Tiny random-weight fixture and its reference logits. ids[0] is BOS; logits[t] are the logits at "
                 "position t (predicting token t + 1), indexed by token id, rounded to 1e-6. "
                 "transformers: AutoModelForCausalLM on the HF folder, eager attention, float32, exact tanh GELU. "
                 "hiddenStateNorms[l][t]: L2 norm of output_hidden_states[l] at position t; l = 0 is the scaled "
                 "embedding, l = 1 .. L-1 the residual stream after layer l-1, and l = L is transformers' last "
                 "hidden state, which is AFTER the final RMSNorm; lastLayerResidualNorms[t] is the residual stream "
                 "after the last layer, before the final norm. llama: node-llama-cpp on the GGUF, F32 K/V cache, no "
                 "flash attention, one thread; its CPU GELU uses an fp16 table, so it differs from transformers by "
                 "about 1e-3 (agreement.maxAbsDiff) and by far less once transformers emulates that table "
                 "(agreement.maxAbsDiffFp16Gelu). agreement.transformersFp32VsFp64 is max |fp32 - fp64| of transformers itself "
                 "(how well conditioned the fixture is). sensitivity: max |delta logit| in transformers when one feature "
                 "of the fixture is dropped (shows the fixture exercises it).",
        "generator": "scripts/ref/model-tiny.py",
        "versions": {**versions, "llamaCppRelease": worker["llamaCppRelease"]["release"]},
        "fixture": {
            "hf": f"test/fixtures/tiny/{spec.name}/",
            "gguf": f"test/fixtures/tiny/{spec.name}.gguf",
            "sha256": {
                "config.json": sha256(folder / "config.json"),
                "model.safetensors": sha256(folder / "model.safetensors"),
                "gguf": sha256(gguf_path),
            },
            "seed": spec.seed,
        },
        "config": config_summary(spec, model),
        "llamaContext": worker["context"],
        "agreement": {
            "maxAbsDiff": diff,
            "maxAbsDiffFp16Gelu": diff16,
            "transformersFp32VsFp64": fp64_diff,
            "maxAbsLogit": float(np.abs(hf).max()),
            "argmaxAgree": argmax_agree,
            "positions": len(ids),
        },
        "sensitivity": sensitivity,
        "ids": ids,
        "transformers": {
            "logits": rounded(hf),
            "hiddenStateNorms": [rounded(n) for n in hidden_norms],
            "lastLayerResidualNorms": rounded(last_residual),
        },
        "llama": {"logits": rounded(llama)},
    }


def main() -> None:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    versions = {
        "python": platform.python_version(),
        **{name: importlib.metadata.version(name) for name in ("torch", "transformers", "numpy", "safetensors", "gguf")},
        "nodeLlamaCpp": package_version("node-llama-cpp"),
    }
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for spec in SPECS:
        golden = build(spec, versions)
        out = GOLDEN / f"tiny-{spec.name}.json"
        out.write_text(format_json(golden) + "\n")
        print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
