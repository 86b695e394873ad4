#!/usr/bin/env python3
"""The tiny random EmbeddingGemma of scripts/ref/model-embedding-tiny.py as a Hugging Face sentence-transformers
folder, and transformers' embeddings of it.

Run: /root/venv-ref/bin/python scripts/ref/model-embedding-hf-tiny.py      (about ten seconds; reads, never rewrites,
the GGUF twin test/fixtures/tiny/gemma-embedding.gguf and its golden)

Writes
  test/fixtures/tiny/gemma-embedding-hf/       the same weights (checked against the GGUF twin's) in the layout
                                               sentence-transformers saves EmbeddingGemma in: config.json and
                                               model.safetensors from transformers' own Gemma3TextModel.save_pretrained
                                               (tensor names without the `model.` prefix), modules.json, 1_Pooling
                                               (mean tokens), 2_Dense and 3_Dense (linear.weight, no bias, Identity),
                                               4_Normalize (listed only: it has no files); tokenizer.model (a
                                               SentencePiece BPE ModelProto of the tiny vocabulary) and
                                               tokenizer_config.json with add_bos_token and add_eos_token
  test/golden/model/embedding-hf-tiny.json     per text: the ids (BOS + SentencePiece's encoding + EOS, as
                                               sentence-transformers tokenizes for EmbeddingGemma; checked equal to
                                               llama.cpp's ids in the GGUF golden) and the embedding of transformers'
                                               Gemma3TextModel loaded from the folder (eager, float32), followed by the
                                               folder's modules done here in torch by hand (sentence-transformers is not
                                               installed): mean pooling, the Dense layers read from their files, L2
                                               normalization.
                                               "sentenceTransformers": SentenceTransformer(folder).encode() of
                                               copies of the folder with files replaced (each variant lists them):
                                               the fixture as it is; a sentence_bert_config.json with a small
                                               max_seq_length (longer texts are cut by the tokenizer: BOS, first
                                               tokens, EOS); do_lower_case; modules.json without Normalize. Per text
                                               sentence-transformers' input ids and vector, on texts where its
                                               tokenizer agrees with SentencePiece (checked).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import pathlib
import shutil
import sys

import gguf
import numpy as np
import sentencepiece as spm
import torch
import transformers
from sentence_transformers import SentenceTransformer
from safetensors.numpy import load_file, save_file
from tiny_sentencepiece import sentencepiece_proto

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("model_embedding_tiny", ROOT / "scripts/ref/model-embedding-tiny.py")
emb = importlib.util.module_from_spec(_spec)
sys.modules["model_embedding_tiny"] = emb
_spec.loader.exec_module(emb)
tiny = emb.tiny

FOLDER = tiny.FIXTURES / "gemma-embedding-hf"
GOLDEN_PATH = tiny.GOLDEN / "embedding-hf-tiny.json"
GGUF_GOLDEN = tiny.GOLDEN / "embedding-tiny.json"
MAX_FOLDER_BYTES = 500_000
DENSE_ACTIVATION = "torch.nn.modules.linear.Identity"


def sp_model() -> spm.SentencePieceProcessor:
    """The tiny vocabulary as the SentencePiece model Gemma's tokenizer.model is, written into the folder."""
    proto = sentencepiece_proto(tiny.PIECES, tiny.SCORES, tiny.TOKEN_TYPES)
    (FOLDER / "tokenizer.model").write_bytes(proto.SerializeToString())
    proc = spm.SentencePieceProcessor()
    proc.Load(str(FOLDER / "tokenizer.model"))
    return proc


def check_gguf_twin(weights: dict[str, np.ndarray], dense: list[np.ndarray]) -> None:
    reader = gguf.GGUFReader(str(emb.GGUF_PATH))
    stored = {t.name: np.asarray(t.data) for t in reader.tensors}
    tiny.check(np.array_equal(stored["token_embd.weight"], weights["model.embed_tokens.weight"]), "GGUF twin: other embedding")
    tiny.check(np.array_equal(stored["dense_2.weight"], dense[0]) and np.array_equal(stored["dense_3.weight"], dense[1]), "GGUF twin: other dense")


def write_folder(weights: dict[str, np.ndarray], dense: list[np.ndarray]) -> None:
    if FOLDER.exists():
        shutil.rmtree(FOLDER)
    staging = FOLDER / "staging"
    staging.mkdir(parents=True)
    (staging / "config.json").write_text(json.dumps(emb.CONFIG, indent=2) + "\n")
    save_file(weights, str(staging / "model.safetensors"), metadata={"format": "pt"})
    model, info = transformers.Gemma3TextModel.from_pretrained(staging, dtype=torch.float32, output_loading_info=True)
    tiny.check(not info["missing_keys"] and not info["unexpected_keys"], f"weights not loaded as named: {info}")
    model.save_pretrained(FOLDER)  # transformers' own layout for a bare Gemma3TextModel
    shutil.rmtree(staging)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 4, "name": "4", "path": "4_Normalize", "type": "sentence_transformers.models.Normalize"},
    ]
    (FOLDER / "modules.json").write_text(json.dumps(modules, indent=2) + "\n")
    d = emb.CONFIG["hidden_size"]
    (FOLDER / "1_Pooling").mkdir()
    (FOLDER / "1_Pooling/config.json").write_text(json.dumps({
        "word_embedding_dimension": d, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
        "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False, "include_prompt": True,
    }, indent=2) + "\n")
    for name, m in zip(("2_Dense", "3_Dense"), dense):
        (FOLDER / name).mkdir()
        (FOLDER / name / "config.json").write_text(json.dumps({
            "in_features": m.shape[1], "out_features": m.shape[0], "bias": False, "activation_function": DENSE_ACTIVATION,
        }, indent=2) + "\n")
        save_file({"linear.weight": m}, str(FOLDER / name / "model.safetensors"))
    (FOLDER / "tokenizer_config.json").write_text(json.dumps({
        "add_bos_token": True, "add_eos_token": True, "bos_token": "<bos>", "eos_token": "<eos>",
        "unk_token": "<unk>", "pad_token": "<pad>",
    }, indent=2) + "\n")


class FolderEmbedder:
    """The folder's modules in order: Gemma3TextModel, mean pooling, each Dense (weight read from its file), Normalize."""

    def __init__(self):
        self.model = transformers.Gemma3TextModel.from_pretrained(FOLDER, attn_implementation="eager", dtype=torch.float32).eval()
        modules = json.loads((FOLDER / "modules.json").read_text())
        pooling = json.loads((FOLDER / "1_Pooling/config.json").read_text())
        tiny.check(pooling["pooling_mode_mean_tokens"] and pooling["include_prompt"], "mean pooling over all tokens")
        self.dense = []
        for m in modules:
            if m["type"].endswith(".Dense"):
                cfg = json.loads((FOLDER / m["path"] / "config.json").read_text())
                tiny.check(not cfg["bias"] and cfg["activation_function"] == DENSE_ACTIVATION, f"{m['path']}: {cfg}")
                self.dense.append(torch.from_numpy(load_file(str(FOLDER / m["path"] / "model.safetensors"))["linear.weight"]))
        tiny.check(modules[-1]["type"].endswith(".Normalize"), "Normalize last")

    def __call__(self, ids: list[int]) -> np.ndarray:
        with torch.no_grad():
            hidden = self.model(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long)).last_hidden_state[0]
            return emb.pool_project_normalize(hidden, self.dense)


SMALL_MAX_SEQ_LENGTH = 7


def st_variants() -> list[dict]:
    """Each variant: a name and the files (relative path -> text) written over a copy of the fixture folder."""
    modules = json.loads((FOLDER / "modules.json").read_text())
    without_normalize = [m for m in modules if not m["type"].endswith(".Normalize")]
    return [
        {"name": "fixture", "files": {}},
        {"name": f"max_seq_length {SMALL_MAX_SEQ_LENGTH}",
         "files": {"sentence_bert_config.json": json.dumps({"max_seq_length": SMALL_MAX_SEQ_LENGTH, "do_lower_case": False}) + "\n"}},
        {"name": "do_lower_case", "files": {"sentence_bert_config.json": json.dumps({"max_seq_length": 64, "do_lower_case": True}) + "\n"}},
        {"name": "no Normalize, max_seq_length 9",
         "files": {"modules.json": json.dumps(without_normalize, indent=2) + "\n",
                   "sentence_bert_config.json": json.dumps({"max_seq_length": 9}) + "\n"}},
    ]


# Texts on which transformers' tokenizer of the tiny vocabulary (converted from tokenizer.model) and SentencePiece
# agree, before and after lower-casing: on others its merges of this made-up vocabulary differ.
ST_TEXTS = ["hello world", "the cat sat on the mat.", "Hello World, the cat sat on the mat. The Cat is Hot!", "The Cat Sat On The Mat."]


def sentence_transformers_cases(proc: spm.SentencePieceProcessor) -> list[dict]:
    """sentence-transformers' own pipeline (tokenizer with truncation, the modules of modules.json) on each variant."""
    import tempfile
    full = SentenceTransformer(str(FOLDER), device="cpu")
    for text in ST_TEXTS + [t.lower() for t in ST_TEXTS]:
        ids = full.tokenize([text])["input_ids"][0].tolist()
        tiny.check(ids == [2] + proc.encode(text) + [1], f"sentence-transformers tokenizes {text!r} as {ids}, SentencePiece otherwise")
    out = []
    for v in st_variants():
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp) / "folder"
            shutil.copytree(FOLDER, copy)
            for name, text in v["files"].items():
                (copy / name).write_text(text)
            model = SentenceTransformer(str(copy), device="cpu")
            cases = []
            for text in ST_TEXTS:
                ids = model.tokenize([text])["input_ids"][0].tolist()
                vec = model.encode([text], convert_to_numpy=True, batch_size=1)[0].astype(np.float64)
                cases.append({"text": text, "ids": ids, "vector": np.round(vec, emb.VECTOR_DIGITS).tolist()})
                print(f"{v['name']}: {len(ids)} ids, |v| {np.linalg.norm(vec):.6f}")
            out.append({**v, "cases": cases})
    return out


def main() -> None:
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    weights = tiny.draw_weights(emb.SPEC)
    dense = emb.draw_dense()
    check_gguf_twin(weights, dense)
    write_folder(weights, dense)
    proc = sp_model()
    size = sum(p.stat().st_size for p in FOLDER.rglob("*") if p.is_file())
    tiny.check(size < MAX_FOLDER_BYTES, f"{FOLDER.name} is {size} bytes")
    names = list(load_file(str(FOLDER / "model.safetensors")).keys())
    tiny.check(all(not n.startswith("model.") for n in names), f"transformers saved prefixed names: {names[:3]}")
    saved_config = json.loads((FOLDER / "config.json").read_text())
    tiny.check(saved_config["sliding_window"] == emb.CONFIG["sliding_window"], f"saved sliding_window {saved_config['sliding_window']}")

    gguf_golden = json.loads(GGUF_GOLDEN.read_text())
    embed = FolderEmbedder()
    cases = []
    for c in gguf_golden["cases"]:
        ids = [2] + proc.encode(c["text"]) + [1]
        if ids != c["ids"]:
            # sentence-transformers would read special-token strings as their tokens; llama.cpp and gemma-ts keep
            # them as text, so such texts are left out.
            print(f"skipped {c['text']!r}: SentencePiece {ids} != llama.cpp {c['ids']}")
            continue
        v = embed(ids)
        cases.append({"text": c["text"], "ids": ids, "transformers": np.round(v, emb.VECTOR_DIGITS).tolist()})
        print(f"{len(ids):3d} ids: max|hf folder - GGUF golden transformers| {np.abs(v - np.array(c['transformers'])).max():.1e}")
    tiny.check(len(cases) >= 4, "too few cases")
    st = sentence_transformers_cases(proc)
    for c in st[0]["cases"][:2]:
        mine = next(x for x in cases if x["text"] == c["text"])
        print(f"sentence-transformers vs by hand: max|diff| {np.abs(np.array(c['vector']) - np.array(mine['transformers'])).max():.1e}")

    versions = {
        "python": sys.version.split()[0],
        **{name: importlib.metadata.version(name) for name in ("torch", "transformers", "sentence-transformers", "numpy", "safetensors", "sentencepiece", "gguf")},
    }
    golden = {
        "about": "Embeddings of the tiny random EmbeddingGemma as a Hugging Face sentence-transformers folder. ids: BOS, "
                 "SentencePiece's encoding of the text, EOS. transformers: Gemma3TextModel.from_pretrained(folder) "
                 "(use_bidirectional_attention, eager, float32), mean pooling over all tokens, the folder's Dense "
                 "modules, L2 normalization (exact tanh GELU). Vectors rounded to 1e-8.",
        "generator": "scripts/ref/model-embedding-hf-tiny.py",
        "versions": versions,
        "fixture": {"folder": "test/fixtures/tiny/gemma-embedding-hf", "ggufTwin": "test/fixtures/tiny/gemma-embedding.gguf",
                    "ggufTwinSha256": tiny.sha256(emb.GGUF_PATH),
                    "sha256": {str(p.relative_to(FOLDER)): tiny.sha256(p) for p in sorted(FOLDER.rglob("*")) if p.is_file()}},
        "tensorNames": sorted(names)[:4],
        "cases": cases,
        "sentenceTransformers": st,
    }
    GOLDEN_PATH.write_text(tiny.format_json(golden) + "\n")
    print(GOLDEN_PATH)


if __name__ == "__main__":
    main()
