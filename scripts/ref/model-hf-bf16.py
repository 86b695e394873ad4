"""A tiny bfloat16 multimodal Gemma 3 Hugging Face folder, its reference logits, and transformers' reading of
partial configs.

Run: /root/venv-ref/bin/python scripts/ref/model-hf-bf16.py      (under a minute)

Writes
  test/fixtures/tiny/gemma3-mm-bf16/        config.json (model_type gemma3 with a partial text_config: every key it
                                            omits comes from Gemma3TextConfig's defaults), model.safetensors in BF16 in
                                            the layout of Google's multimodal checkpoints (language_model.model.*,
                                            vision_tower.*, multi_modal_projector.*, no lm_head), an embedding padded
                                            past the tokenizer (as Gemma 3's 262208 rows for 262145 tokens),
                                            tokenizer.json (written by the `tokenizers` library) and tokenizer_config.json
  test/golden/model/hf-gemma3-mm-bf16.json  logits of transformers' Gemma3ForConditionalGeneration on the folder in
                                            float32 (BF16 weights widened exactly), plain and with every linear layer's
                                            input rounded to bfloat16 (how ggml pairs BF16 weights with activations)
  test/golden/model/hf-configs.json         for a set of partial config.json files: the layer types, windows, RoPE
                                            parameters, query scale and soft-caps transformers derives from them
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import pathlib
import platform
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "test/fixtures/tiny/gemma3-mm-bf16"
GOLDEN = ROOT / "test/golden/model"
SEED = 2005
SEQUENCE_LENGTH = 40
LOGIT_DIGITS = 6
MAX_FIXTURE_BYTES = 400_000

# ---------------------------------------------------------------------------------------------------------
# Vocabulary: Gemma's special ids, the byte pieces, a few words, turn and image markers; then, as in Gemma 3's
# tokenizer.json, <image_soft_token> as an added token past the model vocabulary.
WORDS = ["▁", "▁the", "▁a", "▁of", "▁and", "▁hello", "▁world", ",", ".", "\n", "\n\n", "▁▁", "s", "t", "h", "e"]
PIECES = ["<pad>", "<eos>", "<bos>", "<unk>"] + [f"<0x{b:02X}>" for b in range(256)] + WORDS
PIECES += ["<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"]
SPECIAL = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>", "<start_of_image>", "<end_of_image>"]
IMAGE_SOFT_TOKEN = len(PIECES)
TOKENIZER_SIZE = IMAGE_SOFT_TOKEN + 1
EMBEDDING_ROWS = 320  # padded past the tokenizer

CONFIG = {
    "architectures": ["Gemma3ForConditionalGeneration"],
    "model_type": "gemma3",
    "boi_token_index": PIECES.index("<start_of_image>"),
    "eoi_token_index": PIECES.index("<end_of_image>"),
    "image_token_index": IMAGE_SOFT_TOKEN,
    "mm_tokens_per_image": 4,
    "torch_dtype": "bfloat16",
    # Like google/gemma-3-4b-it's text_config: sizes, window and RoPE scaling only. head_dim and the head counts are
    # given because the defaults (256, 8, 4) are far too big for a fixture; query_pre_attn_scalar is left at its
    # default 256 (!= head_dim 16), rope_theta 1e6, rope_local_base_freq 1e4, the 5:1 layer pattern (7 layers: layer 5
    # global, 6 local again), rms_norm_eps, no soft-caps.
    "text_config": {
        "model_type": "gemma3_text",
        "hidden_size": 48,
        "intermediate_size": 64,
        "num_hidden_layers": 7,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "vocab_size": EMBEDDING_ROWS,
        "sliding_window": 8,
        "rope_scaling": {"rope_type": "linear", "factor": 8.0},
    },
    "vision_config": {
        "model_type": "siglip_vision_model",
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": 16,
        "patch_size": 4,
        "vision_use_head": False,
    },
}


def write_tokenizer(folder: pathlib.Path) -> None:
    model_vocab = {p: i for i, p in enumerate(PIECES)}
    tok = Tokenizer(models.BPE(vocab=model_vocab, merges=[], unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.add_special_tokens([AddedToken(p, special=True, normalized=False) for p in SPECIAL + ["<image_soft_token>"]])
    tok.post_processor = processors.TemplateProcessing(single="<bos> $A", pair="<bos> $A <bos> $B", special_tokens=[("<bos>", 2)])
    tok.save(str(folder / "tokenizer.json"))
    check(tok.get_vocab_size() == TOKENIZER_SIZE, f"tokenizer has {tok.get_vocab_size()} tokens")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "add_bos_token": True,
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "chat_template": "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n{{ m['content'] }}<end_of_turn>\n{% endfor %}",
    }, indent=2) + "\n")


def legacy_name(name: str) -> str | None:
    """transformers 5 state-dict names -> the layout of Google's checkpoints; None for the tied head."""
    if name == "lm_head.weight":
        return None
    for new, old in (("model.language_model.", "language_model.model."), ("model.vision_tower.", "vision_tower."),
                     ("model.multi_modal_projector.", "multi_modal_projector.")):
        if name.startswith(new):
            return old + name[len(new):]
    sys.exit(f"unexpected tensor {name}")


def build_folder() -> dict[str, torch.Tensor]:
    """Random weights (seeded numpy, so independent of torch's generator), BF16, saved in the legacy layout."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    (FOLDER / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
    write_tokenizer(FOLDER)
    config = transformers.AutoConfig.from_pretrained(FOLDER)
    model = transformers.Gemma3ForConditionalGeneration(config)
    rng = np.random.default_rng(SEED)
    tensors = {}
    for name, p in model.state_dict().items():
        stored = legacy_name(name)
        if stored is None:
            continue
        shape = tuple(p.shape)
        if name.endswith("norm.weight") and "language_model" in name:
            # HF norm weights are offsets w (scale 1 + w); the final norm keeps logits in a moderate range.
            scale = 0.3 if name.endswith("model.language_model.norm.weight") else 1.0
            values = scale * rng.uniform(0.5, 1.5, shape) - 1.0
        elif name.endswith("embed_tokens.weight"):
            values = rng.standard_normal(shape) * 0.5
        elif len(shape) >= 2:
            values = rng.standard_normal(shape) / math.sqrt(shape[-1])
        else:
            values = rng.standard_normal(shape) * 0.1
        tensors[stored] = torch.from_numpy(values.astype(np.float32)).to(torch.bfloat16).contiguous()
    save_file(tensors, str(FOLDER / "model.safetensors"), metadata={"format": "pt"})
    size = (FOLDER / "model.safetensors").stat().st_size
    check(size < MAX_FIXTURE_BYTES, f"model.safetensors is {size} bytes")
    return tensors


def load(bf16_activations: bool = False, dtype=torch.float32) -> torch.nn.Module:
    model, info = transformers.Gemma3ForConditionalGeneration.from_pretrained(
        FOLDER, dtype=dtype, attn_implementation="eager", output_loading_info=True)
    check(not info["missing_keys"] and not info["unexpected_keys"], f"loading info {info}")
    if bf16_activations:
        # ggml's CPU backend multiplies BF16 weights with activations converted to BF16 (vec_dot_type of
        # GGML_TYPE_BF16 in ggml-org/llama.cpp:ggml/src/ggml-cpu/ggml-cpu.c), rounding to nearest even as torch does.
        for module in model.modules():
            if isinstance(module, torch.nn.Linear):
                module.register_forward_pre_hook(lambda _m, args: (args[0].to(torch.bfloat16).to(args[0].dtype),))
    return model.eval()


def logits_of(model: torch.nn.Module, ids: list[int]) -> np.ndarray:
    with torch.no_grad():
        out = model(input_ids=torch.tensor([ids]), use_cache=False)
    return out.logits[0].double().numpy()


# ---------------------------------------------------------------------------------------------------------
# Partial configs and what transformers makes of them.
PARTIAL_CONFIGS = {
    # google/gemma-3-4b-it's text_config as published (gemma-architecture.md §4.2); everything else defaults.
    "gemma3-4b-text-config": {
        "model_type": "gemma3",
        "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                        "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                        "sliding_window": 1024},
        "vision_config": {"model_type": "siglip_vision_model"},
    },
    # A multimodal config without text_config at all: Gemma3TextConfig() entirely.
    "gemma3-no-text-config": {"model_type": "gemma3"},
    # Gemma 3 1B style (transformers 4.50): legacy sliding_window_pattern, rope_local_base_freq, rope_scaling null.
    "gemma3-1b-legacy": {
        "model_type": "gemma3_text", "hidden_size": 1152, "intermediate_size": 6912, "num_hidden_layers": 26,
        "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 256, "query_pre_attn_scalar": 256,
        "rope_theta": 1000000, "rope_local_base_freq": 10000, "rope_scaling": None, "sliding_window": 512,
        "sliding_window_pattern": 6, "max_position_embeddings": 32768, "vocab_size": 262144,
        "attn_logit_softcapping": None, "final_logit_softcapping": None,
    },
    # Newer layout: rope_parameters nested by layer type and an explicit layer_types list.
    "gemma3-rope-parameters": {
        "model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
        "head_dim": 16, "layer_types": ["full_attention", "sliding_attention", "sliding_attention", "full_attention"],
        "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 500000.0},
                            "sliding_attention": {"rope_type": "default", "rope_theta": 20000.0}},
        "sliding_window": 16,
    },
    # The legacy pattern key with another period; Gemma2Config does not read that key.
    "gemma3-pattern-3": {"model_type": "gemma3_text", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 7,
                         "head_dim": 16, "sliding_window_pattern": 3, "sliding_window": 32},
    "gemma2-pattern-ignored": {"model_type": "gemma2", "hidden_size": 64, "intermediate_size": 128,
                               "num_hidden_layers": 5, "head_dim": 16, "sliding_window_pattern": 3},
    # Gemma 2 27B-like sizes with only the keys that differ from Gemma2Config's defaults.
    "gemma2-27b-partial": {
        "model_type": "gemma2", "hidden_size": 4608, "intermediate_size": 36864, "num_hidden_layers": 46,
        "num_attention_heads": 32, "num_key_value_heads": 16, "head_dim": 128, "query_pre_attn_scalar": 144,
    },
    "gemma2-minimal": {"model_type": "gemma2", "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26},
    # google/gemma-7b's config.json (legacy "gelu").
    "gemma-7b": {
        "architectures": ["GemmaForCausalLM"], "attention_bias": False, "bos_token_id": 2, "eos_token_id": 1,
        "head_dim": 256, "hidden_act": "gelu", "hidden_size": 3072, "initializer_range": 0.02,
        "intermediate_size": 24576, "max_position_embeddings": 8192, "model_type": "gemma",
        "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 16, "pad_token_id": 0,
        "rms_norm_eps": 1e-06, "rope_scaling": None, "rope_theta": 10000.0, "torch_dtype": "bfloat16",
        "vocab_size": 256000,
    },
    "gemma-minimal": {"model_type": "gemma", "hidden_size": 2048, "intermediate_size": 16384, "num_hidden_layers": 18,
                      "num_attention_heads": 8, "num_key_value_heads": 1},
}


def interpret(raw: dict) -> dict:
    """The values transformers' modules use: from the config objects and attention modules built on the meta device."""
    config = transformers.AutoConfig.for_model(**json.loads(json.dumps(raw)))
    multimodal = raw["model_type"] == "gemma3"
    text = config.text_config if multimodal else config
    attention_class = {
        "gemma": transformers.models.gemma.modeling_gemma.GemmaAttention,
        "gemma2": transformers.models.gemma2.modeling_gemma2.Gemma2Attention,
        "gemma3_text": transformers.models.gemma3.modeling_gemma3.Gemma3Attention,
    }[text.model_type]
    layer_types = getattr(text, "layer_types", None) or ["full_attention"] * text.num_hidden_layers
    layers = []
    with torch.device("meta"):
        for i in range(text.num_hidden_layers):
            attention = attention_class(text, i)
            rope = text.rope_parameters[layer_types[i]] if "full_attention" in text.rope_parameters else text.rope_parameters
            layers.append({
                "slidingWindow": getattr(attention, "sliding_window", None),
                "ropeType": rope["rope_type"],
                "ropeTheta": rope["rope_theta"],
                "ropeFactor": rope.get("factor"),
            })
    scaling = attention.scaling  # the same for every layer
    return {
        "config": raw,
        "modelType": text.model_type,
        "vocabSize": text.vocab_size,
        "hiddenSize": text.hidden_size,
        "layers": text.num_hidden_layers,
        "heads": text.num_attention_heads,
        "kvHeads": text.num_key_value_heads,
        "headDim": text.head_dim,
        "ffn": text.intermediate_size,
        "maxPositionEmbeddings": text.max_position_embeddings,
        "rmsNormEps": text.rms_norm_eps,
        "attentionScaling": scaling,
        "attnLogitSoftcapping": getattr(text, "attn_logit_softcapping", None),
        "finalLogitSoftcapping": getattr(text, "final_logit_softcapping", None),
        "tieWordEmbeddings": config.tie_word_embeddings,
        "activation": getattr(text, "hidden_activation", None) or getattr(text, "hidden_act", None),
        "perLayer": layers,
    }


# ---------------------------------------------------------------------------------------------------------
def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(f"self-check failed: {message}")


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(array: np.ndarray) -> str:
    return ",\n".join("    " + json.dumps(np.round(r, LOGIT_DIGITS).tolist()) for r in array)


def main() -> None:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    versions = {"python": platform.python_version(),
                **{n: importlib.metadata.version(n) for n in ("torch", "transformers", "numpy", "safetensors", "tokenizers")}}

    build_folder()
    rng = np.random.default_rng(SEED + 7)
    # BOS, then ids over the text vocabulary (never the image soft token, which would ask for pixel values).
    ids = [2] + [int(t) for t in rng.integers(3, IMAGE_SOFT_TOKEN, SEQUENCE_LENGTH - 1)]
    plain = logits_of(load(), ids)
    emulated = logits_of(load(bf16_activations=True), ids)
    fp64 = logits_of(load(dtype=torch.float64), ids)
    # Rounding to bfloat16 is discontinuous: an input a few float32 ulps away lands on the neighbouring bf16 value
    # now and then, and through the KV cache that one flip moves every later position. The float64 run of the same
    # emulation shows how far two faithful implementations can part for that reason alone.
    emulated64 = logits_of(load(bf16_activations=True, dtype=torch.float64), ids)
    flips = np.abs(emulated64 - emulated)[:, :TOKENIZER_SIZE].max(axis=1)
    check(plain.shape == (SEQUENCE_LENGTH, EMBEDDING_ROWS), f"logits shape {plain.shape}")
    max_abs = float(np.abs(plain[:, :TOKENIZER_SIZE]).max())
    effect = float(np.abs(emulated - plain)[:, :TOKENIZER_SIZE].max())
    fp64_diff = float(np.abs(fp64 - plain)[:, :TOKENIZER_SIZE].max())
    print(f"max|logit| {max_abs:.3f}, bf16 activations move logits by {effect:.2e}, fp32 vs fp64 {fp64_diff:.1e}, "
          f"bf16 emulation fp32 vs fp64 {flips.max():.1e} (stable up to position {int(np.argmax(flips > 1e-5 * max_abs))})")
    check(fp64_diff <= 1e-5 * max_abs, f"transformers fp32 vs fp64 {fp64_diff}")
    check(effect > 1e-3 * max_abs, f"bf16 activation rounding moves the logits by only {effect}")

    head = {
        "about": "Tiny random BF16 Gemma 3 multimodal folder (legacy language_model.* layout, vision tensors, "
                 f"embedding padded to {EMBEDDING_ROWS} rows for a {TOKENIZER_SIZE}-token tokenizer) and the logits of transformers' "
                 "Gemma3ForConditionalGeneration on it in float32 (eager attention), for the first tokenizerSize "
                 "token ids only (rows past the tokenizer are padding). plain: BF16 weights widened exactly to "
                 "float32, float32 activations. bf16Activations: the same with every nn.Linear input rounded to "
                 "bfloat16 (ggml's pairing of BF16 weights). agreement.bf16ActivationEffect = max|bf16Activations - "
                 "plain|; agreement.fp32VsFp64 = max|plain - float64 run|; agreement.bf16EmulationFp32VsFp64PerPosition[t] = "
                 "max over ids of |bf16Activations run in float64 - in float32| at position t (bf16 rounding flips). "
                 "ids[0] is BOS; row t predicts token t+1.",
        "generator": "scripts/ref/model-hf-bf16.py",
        "versions": versions,
        "fixture": {
            "hf": str(FOLDER.relative_to(ROOT)) + "/",
            "sha256": {f: sha256(FOLDER / f) for f in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")},
            "seed": SEED,
        },
        "tokenizerSize": TOKENIZER_SIZE,
        "embeddingRows": EMBEDDING_ROWS,
        "agreement": {"maxAbsLogit": max_abs, "bf16ActivationEffect": effect, "fp32VsFp64": fp64_diff,
                      "bf16EmulationFp32VsFp64PerPosition": flips.tolist()},
        "ids": ids,
    }
    out = GOLDEN / "hf-gemma3-mm-bf16.json"
    body = json.dumps(head, indent=1)[:-2]
    body += ',\n "plain": [\n' + rows(plain[:, :TOKENIZER_SIZE]) + "\n ],\n"
    body += ' "bf16Activations": [\n' + rows(emulated[:, :TOKENIZER_SIZE]) + "\n ]\n}\n"
    out.write_text(body)
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")

    configs = {
        "about": "What transformers derives from partial config.json files: per layer the sliding window of the "
                 "attention module (null: full attention) and the RoPE parameters of its layer type; the attention "
                 "module's score scaling; the config values after defaults. Built with AutoConfig.for_model and "
                 "the attention classes on the meta device.",
        "generator": "scripts/ref/model-hf-bf16.py",
        "versions": versions,
        "cases": {name: interpret(raw) for name, raw in PARTIAL_CONFIGS.items()},
    }
    out = GOLDEN / "hf-configs.json"
    out.write_text(json.dumps(configs, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
