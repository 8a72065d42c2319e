"""Build submissions for the grader's own tests: the reference with one snippet appended.

A snippet file (tests/mutants, tests/alternatives, tests/hostile) starts with header lines:
``# module: NAME`` (the file it is appended to), then for mutants ``# question: ID`` (the one
question that must lose points) and optionally ``# also: ID, ID`` (questions that may lose points
too, because they call the broken function directly: see a question's ``DIRECT_CALLS``; every
other question must keep its score), for hostile cases ``# loses: ID, ID`` (questions allowed to
lose points; empty: none), ``# flagged: yes`` (tampering the gradebook must flag; every other
case must not be flagged), ``# feedback: TEXT`` (a phrase the feedback must contain) and
``# needs: landlock`` (a case only Landlock can stop: skipped, saying so, where there is none).
Appending a ``def`` rebinds the function in that module, so a snippet can wrap the reference.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from make_samples import header as snippet_header

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
STARTER = ROOT / "assignments" / "conv_gemm"
TESTS = Path(__file__).resolve().parent


def header(path: Path) -> dict:
    meta = snippet_header(path)
    meta["doc"] = next((l[2:] for l in path.read_text().splitlines() if l.startswith("# ") and ":" not in l.split()[1]), "")
    return meta


def build(dest: Path, snippet: Path | None = None, base: Path = SOLUTIONS) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for src in base.glob("*.py"):
        shutil.copyfile(src, dest / src.name)
    if snippet is not None:
        module = header(snippet)["module"]
        target = dest / f"{module}.py"
        target.write_text(target.read_text() + "\n\n# ---- appended by tests/corpus.py\n" + snippet.read_text())
    return dest


def questions(meta: dict, *keys: str) -> set[str]:
    """The question ids listed under ``keys`` (text after '(' is a comment)."""
    out = set()
    for key in keys:
        text = meta.get(key, "").split("(")[0]
        out |= {q.strip() for q in text.split(",") if q.strip()}
    return out


def corpus(kind: str) -> list[Path]:
    return sorted((TESTS / kind).glob("*.py"))
