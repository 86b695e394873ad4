#!/usr/bin/env python3
"""Reference for ShieldGemma scoring (src/engine/classify.ts) on the tiny random Gemma 2 fixture.

The tiny gemma2 fixture (test/fixtures/tiny/gemma2.gguf + its Hugging Face folder, scripts/ref/model-tiny.py) has
no "Yes"/"No" pieces, so this script and test/engine/classify.test.ts both rename two word pieces of its
vocabulary: id 292 ("▁mat") becomes "Yes" and id 295 ("▁light") becomes "No" (the weights are unchanged).
For each case the script:
  1. writes the ShieldGemma model-card prompt text itself (gemma-architecture.md §6.3, its line breaks; the
     prompt-response variant with the same layout), independently of classify.ts;
  2. tokenizes it as the Hugging Face tokenizer would: split at the <start_of_turn>/<end_of_turn> strings (ids
     296/297), each text segment encoded by Python sentencepiece with a BPE ModelProto built from the fixture's
     vocabulary (pieces, scores, types; no dummy prefix, byte fallback), one BOS first;
  3. runs transformers' Gemma2ForCausalLM (eager attention, float32, final logit soft-cap as the model applies it)
     on those ids and takes P(violation) = softmax([logit(Yes), logit(No)])[0] at the last position.
Writes test/golden/model/shield-tiny-gemma2.json.
Run: /root/venv-ref/bin/python scripts/ref/model-shieldgemma-tiny.py
"""
import json
import os

import numpy as np
import sentencepiece as spm
import torch
import transformers
from gguf import GGUFReader
from tiny_sentencepiece import sentencepiece_proto

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FIXTURE = os.path.join(ROOT, "test", "fixtures", "tiny")
OUT = os.path.join(ROOT, "test", "golden", "model", "shield-tiny-gemma2.json")
RENAMES = {292: "Yes", 295: "No"}
START, END = "<start_of_turn>", "<end_of_turn>"

CASES = [
    {
        "policy": '"No Hate Speech": The prompt shall not contain or seek generation of content that expresses, incites, or promotes hate.',
        "prompt": "Is the cat on the mat? Tell me now.",
    },
    {
        "policy": '"No Dangerous Content": The chatbot shall not generate content that harms oneself and/or others.',
        "prompt": "hello world",
        "response": "Gemma runs in the browser, and it is light.",
    },
]


def render(case):
    """The model-card text, written here from gemma-architecture.md §6.3 (not from classify.ts)."""
    if "response" in case:
        return (
            "You are a policy expert trying to help determine whether an AI response to prompt is in\n"
            "violation of the defined safety policies.\n\n"
            f"{START}\nHuman Question: {case['prompt']}\n{END}\n\n"
            f"{START}\nChatbot Response: {case['response']}\n{END}\n\n"
            f"Our safety principle is defined in the below:\n\n* {case['policy']}\n\n===\n\n"
            "Does the Chatbot Response violate the above principle? Your answer must start with\n"
            "'Yes' or 'No'. And then walk through step by step to be sure we answer\ncorrectly."
        )
    return (
        "You are a policy expert trying to help determine whether a user prompt is in\n"
        "violation of the defined safety policies.\n\n"
        f"{START}\nHuman Question: {case['prompt']}\n{END}\n\n"
        f"Our safety principle is defined in the below:\n\n* {case['policy']}\n\n===\n\n"
        "Does the human question violate the above principle? Your answer must start with\n"
        "'Yes' or 'No'. And then walk through step by step to be sure we answer\ncorrectly."
    )


def field(reader, key):
    f = reader.fields[key]
    return [f.parts[i] for i in f.data]


def sp_model(pieces, scores, types):
    proc = spm.SentencePieceProcessor()
    proc.LoadFromSerializedProto(sentencepiece_proto(pieces, scores, types).SerializeToString())
    return proc


def tokenize(proc, text, start_id, end_id, bos):
    ids = [bos]
    rest = text
    while rest:
        cut = [(rest.find(mk), mk, i) for mk, i in ((START, start_id), (END, end_id)) if rest.find(mk) >= 0]
        if not cut:
            ids += proc.encode(rest)
            break
        at, mk, i = min(cut)
        if at > 0:
            ids += proc.encode(rest[:at])
        ids.append(i)
        rest = rest[at + len(mk):]
    return ids


def main():
    reader = GGUFReader(os.path.join(FIXTURE, "gemma2.gguf"))
    pieces = [bytes(p).decode("utf-8") for p in field(reader, "tokenizer.ggml.tokens")]
    scores = [float(s[0]) for s in field(reader, "tokenizer.ggml.scores")]
    types = [int(t[0]) for t in field(reader, "tokenizer.ggml.token_type")]
    for i, p in RENAMES.items():
        pieces[i] = p
    proc = sp_model(pieces, scores, types)
    start_id, end_id = pieces.index(START), pieces.index(END)
    yes, no = pieces.index("Yes"), pieces.index("No")

    model = transformers.AutoModelForCausalLM.from_pretrained(
        os.path.join(FIXTURE, "gemma2"), attn_implementation="eager", dtype=torch.float32
    )
    model.eval()
    out = []
    for case in CASES:
        text = render(case)
        ids = tokenize(proc, text, start_id, end_id, bos=2)
        with torch.no_grad():
            logits = model(torch.tensor([ids]), use_cache=False).logits[0, -1].double()
        pair = torch.stack([logits[yes], logits[no]])
        p = torch.softmax(pair, dim=0)[0].item()
        out.append({**case, "text": text, "ids": ids, "yes_logit": logits[yes].item(), "no_logit": logits[no].item(), "violation_probability": p})
    golden = {
        "generator": "scripts/ref/model-shieldgemma-tiny.py",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "sentencepiece": spm.__version__, "numpy": np.__version__},
        "fixture": "test/fixtures/tiny/gemma2 (HF folder) / gemma2.gguf",
        "renamed_pieces": {str(k): v for k, v in RENAMES.items()},
        "yes_id": yes,
        "no_id": no,
        "cases": out,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(golden, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(OUT, [(len(c["ids"]), c["violation_probability"]) for c in out])


if __name__ == "__main__":
    main()
