"""Assemble test/fixtures/text/wiki-like.txt, the perplexity text, from the Python Language Reference.

The text comes from `pydoc_data.topics` of CPython 3.11.7 (the plain-text rendering of the Python
documentation shipped with the interpreter, PSF License v2; see wiki-like.SOURCE.md). Topics are
taken whole, in the order below, separated by one blank line; the file ends with one newline, which
llama.cpp's `-f` loader strips before tokenizing.

Run: /root/venv-ref/bin/python scripts/ref/model-text-assemble.py
"""
import pathlib
import sys

from pydoc_data.topics import topics

TOPICS = ("objects", "execmodel", "truth", "exceptions")
EXPECTED_PYTHON = (3, 11, 7)

if sys.version_info[:3] != EXPECTED_PYTHON:
    sys.exit(f"expected CPython {EXPECTED_PYTHON}, got {sys.version_info[:3]}: the topic texts differ between releases")

root = pathlib.Path(__file__).resolve().parents[2]
out = root / "test/fixtures/text/wiki-like.txt"
text = "\n".join(topics[name].strip("\n") + "\n" for name in TOPICS)
out.write_text(text, encoding="utf-8")
print(f"wrote {out.relative_to(root)}: {len(text)} characters from topics {', '.join(TOPICS)}")
