#!/usr/bin/env python3
"""A tiny random-weight EmbeddingGemma (GGUF architecture `gemma-embedding`) and its reference embeddings.

Run: /root/venv-ref/bin/python scripts/ref/model-embedding-tiny.py      (about half a minute)

Writes
  test/fixtures/tiny/gemma-embedding.gguf      F32 GGUF laid out as llama.cpp's converter writes EmbeddingGemma with
                                               --sentence-transformers-dense-modules (conversion/gemma.py, class
                                               EmbeddingGemma): the Gemma 3 layer stack, sliding_window = the ORIGINAL
                                               config.json value, pooling_type 1 (mean), dense_2 / dense_3 projections
                                               and their feature keys, add_eos_token true; the 298-piece vocabulary
                                               of the other tiny fixtures (scripts/ref/model-tiny.py)
  test/golden/model/embedding-tiny.json        for each input text: the ids llama.cpp runs and the embedding from
                                               - llama.cpp (node-llama-cpp's getEmbeddingFor, in a child process:
                                                 pooled and projected, then L2-normalized here);
                                               - transformers: Gemma3TextModel (use_bidirectional_attention, eager,
                                                 float32) on a Hugging Face folder with the same weights, mean pooling
                                                 over all tokens, the two Dense layers (no bias) and L2
                                                 normalization, as sentence-transformers runs EmbeddingGemma; once
                                                 with the exact tanh GELU and once with ggml's fp16 GELU table.
The Hugging Face folder is written to a temporary directory only (the test reads the GGUF). The window (8) is
shorter than most inputs, so the symmetric sliding window (|i - j| <= 4; transformers stores 8 // 2 + 1 = 5 as an
exclusive bound) matters; the script checks that dropping bidirectionality or the window moves the vectors.
"""
from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import subprocess
import sys
import tempfile

import gguf
import numpy as np
import torch
import transformers
from safetensors.numpy import save_file

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("model_tiny", ROOT / "scripts/ref/model-tiny.py")
tiny = importlib.util.module_from_spec(_spec)
sys.modules["model_tiny"] = tiny
_spec.loader.exec_module(tiny)

GGUF_PATH = tiny.FIXTURES / "gemma-embedding.gguf"
GOLDEN_PATH = tiny.GOLDEN / "embedding-tiny.json"
WORKER = ROOT / "scripts/ref/llama-embed-worker.mjs"
DENSE = 128  # 64 -> 128 -> 64, as EmbeddingGemma's 768 -> 3072 -> 768
VECTOR_DIGITS = 8
TOL_COSINE = 0.9999
TOL_FP16_GELU = 1e-4  # max |llama.cpp - transformers with ggml's GELU table| over unit vectors (flash attention off)
TOL_PLAIN = 1e-3  # the same with the exact GELU on the transformers side
MAX_FIXTURE_BYTES = 500_000  # the other tiny fixtures plus two dense matrices

CONFIG = {
    **tiny.COMMON,
    "architectures": ["Gemma3TextModel"], "model_type": "gemma3_text",
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 64, "intermediate_size": 32, "num_hidden_layers": 6,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "query_pre_attn_scalar": 8,
    "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
    "sliding_window": 8, "layer_types": ["sliding_attention"] * 5 + ["full_attention"],
    "attn_logit_softcapping": None, "final_logit_softcapping": None, "use_bidirectional_attention": True,
}
SPEC = tiny.Spec("gemma-embedding", "gemma3", 1005, CONFIG)

TEXTS = [
    "hello world",
    "the cat sat on the mat.",
    "Gemma runs in the browser, and it is light. the model is a token of time and space!",
    "<start_of_turn>user is it a cat?",
    "Ünïcode ☃ text in a model",
]


def draw_dense() -> list[np.ndarray]:
    rng = np.random.default_rng(SPEC.seed + 11)
    d = CONFIG["hidden_size"]
    return [
        (rng.standard_normal((DENSE, d)) / math.sqrt(d)).astype(np.float32),
        (rng.standard_normal((d, DENSE)) / math.sqrt(DENSE)).astype(np.float32),
    ]


def write_gguf(weights: dict[str, np.ndarray], dense: list[np.ndarray]) -> None:
    c = CONFIG
    w = gguf.GGUFWriter(str(GGUF_PATH), "gemma-embedding")
    tiny.add_model_keys(w, "tiny-gemma-embedding", c, c["num_hidden_layers"])
    w.add_rope_freq_base(c["rope_theta"])
    w.add_sliding_window(c["sliding_window"])
    w.add_pooling_type(gguf.PoolingType.MEAN)
    w.add_dense_features_dims("dense_2", c["hidden_size"], DENSE)
    w.add_dense_features_dims("dense_3", DENSE, c["hidden_size"])
    tiny.add_tokenizer_keys(w, add_eos=True)
    tiny.add_weights(w, SPEC, weights)
    w.add_tensor("dense_2.weight", dense[0])
    w.add_tensor("dense_3.weight", dense[1])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def llama_embeddings() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        job = pathlib.Path(tmp) / "job.json"
        result = pathlib.Path(tmp) / "result.json"
        job.write_text(json.dumps({
            "model": str(GGUF_PATH),
            "context": {"contextSize": 128, "batchSize": 128, "threads": 1},
            "inputs": TEXTS,
        }))
        subprocess.run(["node", str(WORKER), str(job), str(result)], check=True, cwd=ROOT)
        return json.loads(result.read_text())


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


class SentenceEmbedder:
    """sentence-transformers' EmbeddingGemma pipeline on the transformers model: mean pooling, Dense, Dense, Normalize."""

    def __init__(self, folder: pathlib.Path, dense: list[np.ndarray], fp16_gelu: bool = False, **config_changes):
        config = transformers.AutoConfig.from_pretrained(folder)
        for key, value in config_changes.items():
            setattr(config, key, value)
        model, info = transformers.Gemma3TextModel.from_pretrained(
            folder, config=config, attn_implementation="eager", dtype=torch.float32, output_loading_info=True)
        tiny.check(not info["missing_keys"] and not info["unexpected_keys"], f"weights not loaded as named: {info}")
        if fp16_gelu:
            for layer in model.layers:
                layer.mlp.act_fn = tiny.GgmlGelu()
        self.model = model.eval()
        self.sliding_window = config.sliding_window
        self.dense = [torch.from_numpy(m) for m in dense]

    def __call__(self, ids: list[int]) -> np.ndarray:
        with torch.no_grad():
            hidden = self.model(torch.tensor([ids])).last_hidden_state[0]  # after the final norm
            return pool_project_normalize(hidden, self.dense)


def pool_project_normalize(hidden: "torch.Tensor", dense: list) -> np.ndarray:
    """sentence-transformers' tail: mean over the tokens, the Dense layers (no bias, Identity), then L2 normalize."""
    v = hidden.mean(dim=0)
    for m in dense:
        v = m @ v
    return torch.nn.functional.normalize(v, dim=0).double().numpy()


def main() -> None:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    weights = tiny.draw_weights(SPEC)
    dense = draw_dense()
    tiny.FIXTURES.mkdir(parents=True, exist_ok=True)
    write_gguf(weights, dense)
    tiny.check(GGUF_PATH.stat().st_size < MAX_FIXTURE_BYTES, f"{GGUF_PATH.name} is {GGUF_PATH.stat().st_size} bytes")
    llama = llama_embeddings()

    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp)
        (folder / "config.json").write_text(json.dumps(CONFIG, indent=2) + "\n")
        save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})
        exact = SentenceEmbedder(folder, dense)
        table = SentenceEmbedder(folder, dense, fp16_gelu=True)
        causal = SentenceEmbedder(folder, dense, use_bidirectional_attention=False)
        unwindowed = SentenceEmbedder(folder, dense, sliding_window=4096)
        cases = []
        worst = {"maxAbsDiff": 0.0, "maxAbsDiffFp16Gelu": 0.0, "minCosine": 1.0}
        sensitivity = {"causal attention": 0.0, "no sliding window": 0.0}
        for r in llama["results"]:
            ids = r["ids"]
            ref = unit(np.array(r["vector"], dtype=np.float64))
            hf, hf16 = exact(ids), table(ids)
            diff, diff16 = float(np.abs(ref - hf).max()), float(np.abs(ref - hf16).max())
            cosine = float(ref @ hf)
            worst = {"maxAbsDiff": max(worst["maxAbsDiff"], diff), "maxAbsDiffFp16Gelu": max(worst["maxAbsDiffFp16Gelu"], diff16),
                     "minCosine": min(worst["minCosine"], cosine)}
            sensitivity["causal attention"] = max(sensitivity["causal attention"], float(np.abs(causal(ids) - hf).max()))
            if len(ids) > 5:
                sensitivity["no sliding window"] = max(sensitivity["no sliding window"], float(np.abs(unwindowed(ids) - hf).max()))
            print(f"{len(ids):3d} ids: max|llama - hf| {diff:.1e}, fp16 GELU {diff16:.1e}, cosine {cosine:.9f}")
            cases.append({
                "text": r["input"], "ids": ids,
                "llamaRaw": np.round(np.array(r["vector"]), VECTOR_DIGITS).tolist(),
                "llama": np.round(ref, VECTOR_DIGITS).tolist(),
                "transformers": np.round(hf, VECTOR_DIGITS).tolist(),
                "transformersFp16Gelu": np.round(hf16, VECTOR_DIGITS).tolist(),
            })
        tiny.check(exact.sliding_window == CONFIG["sliding_window"] // 2 + 1, f"transformers window {exact.sliding_window}")
        tiny.check(llama["shouldPrependBos"] and llama["shouldAppendEos"], "llama.cpp should add BOS and EOS")
        tiny.check(worst["minCosine"] >= TOL_COSINE, f"cosine {worst['minCosine']}")
        tiny.check(worst["maxAbsDiff"] <= TOL_PLAIN, f"llama.cpp vs transformers {worst['maxAbsDiff']}")
        tiny.check(worst["maxAbsDiffFp16Gelu"] <= TOL_FP16_GELU, f"llama.cpp vs transformers, fp16 GELU {worst['maxAbsDiffFp16Gelu']}")
        for label, delta in sensitivity.items():
            tiny.check(delta > 100 * TOL_PLAIN, f"'{label}' changes the vectors by only {delta}")
        print(f"worst {worst}, sensitivity {sensitivity}")

    versions = {
        "python": sys.version.split()[0],
        **{name: importlib.metadata.version(name) for name in ("torch", "transformers", "numpy", "safetensors", "gguf")},
        "nodeLlamaCpp": llama["nodeLlamaCpp"],
        "llamaCppRelease": llama["llamaCppRelease"]["release"],
    }
    golden = {
        "about": "Embeddings of the tiny random EmbeddingGemma fixture. ids: what llama.cpp runs for the text (BOS, the "
                 "text without parsing special-token strings, EOS). llamaRaw: node-llama-cpp getEmbeddingFor (flash "
                 "attention off, mean pooling, dense_2, dense_3; not normalized); llama: the same, L2-normalized. transformers: "
                 "Gemma3TextModel (use_bidirectional_attention, eager, float32) on the same weights, mean pooling, the "
                 "two Dense layers, L2 normalization (exact tanh GELU); transformersFp16Gelu: the same with ggml's fp16 "
                 "GELU table. Vectors rounded to 1e-8. agreement: worst over the texts; sensitivity: max |delta| of the "
                 "transformers vectors when a feature is dropped.",
        "generator": "scripts/ref/model-embedding-tiny.py",
        "versions": versions,
        "fixture": {"gguf": "test/fixtures/tiny/gemma-embedding.gguf", "sha256": tiny.sha256(GGUF_PATH), "seed": SPEC.seed},
        "config": {**{k: v for k, v in CONFIG.items() if k not in tiny.COMMON}, "dense": [[DENSE, 64], [64, DENSE]]},
        "llamaContext": {"contextSize": 128, "batchSize": 128, "threads": 1, "flashAttention": False},
        "agreement": worst,
        "sensitivity": sensitivity,
        "cases": cases,
    }
    GOLDEN_PATH.write_text(tiny.format_json(golden) + "\n")
    print(GOLDEN_PATH)


if __name__ == "__main__":
    main()
