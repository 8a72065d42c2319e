"""Generate the student starter ``assignments/conv_gemm/`` from the reference ``solutions/conv_gemm/``.

In the reference, every graded body sits between two markers::

    # BEGIN SOLUTION <question id>
    # HINT: optional lines kept in the starter as hints
    ...reference code...
    # END SOLUTION

The starter keeps everything outside the markers (signatures, docstrings, argument checks)
and replaces each block with its hints and one tagged hole::

    # TODO(<question id>): ...hint...
    raise NotImplementedError("<function>: not implemented yet (question '<question id>')")

Usage: ``python tools/make_assignments.py`` writes the starter; ``--check`` exits 1 and lists
the files that differ when the committed starter is out of date.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_PACKAGE = ROOT / "solutions" / "conv_gemm"
STARTER_PACKAGE = ROOT / "assignments" / "conv_gemm"
QUESTION_IDS = {p.stem for p in (ROOT / "autograder" / "grader" / "questions").glob("*.py") if not p.stem.startswith("_")}
"""The question ids: one module each in autograder/grader/questions/ (named by the id)."""

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION (?P<qid>\w+)\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
HINT = re.compile(r"^\s*# HINT:\s?(?P<text>.*)$")
DEF = re.compile(r"^\s*def (?P<name>\w+)\(")


class MarkerError(ValueError):
    """A solution file whose markers are unbalanced, nested or name an unknown question."""


def stub_source(source: str, filename: str = "<source>") -> str:
    """Return ``source`` with every marked solution block replaced by its hole."""
    out: list[str] = []
    function = None
    lines = source.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        if m := DEF.match(line):
            function = m["name"]
        if END.match(line):
            raise MarkerError(f"{filename}:{i + 1}: END SOLUTION without BEGIN")
        m = BEGIN.match(line)
        if not m:
            out.append(line)
            i += 1
            continue
        indent, qid = m["indent"], m["qid"]
        if qid not in QUESTION_IDS:
            raise MarkerError(f"{filename}:{i + 1}: unknown question id {qid!r}")
        if function is None:
            raise MarkerError(f"{filename}:{i + 1}: solution block outside a function")
        start = i
        i += 1
        hints = []
        while i < len(lines) and (h := HINT.match(lines[i])):
            hints.append(h["text"])
            i += 1
        while i < len(lines) and not END.match(lines[i]):
            if BEGIN.match(lines[i]):
                raise MarkerError(f"{filename}:{i + 1}: nested BEGIN SOLUTION (block opened at line {start + 1})")
            i += 1
        if i == len(lines):
            raise MarkerError(f"{filename}:{start + 1}: BEGIN SOLUTION without END")
        first, *rest = hints or ["your code here"]
        out.append(f"{indent}# TODO({qid}): {first}\n")
        out.extend(f"{indent}#   {text}\n" for text in rest)
        out.append(f"{indent}raise NotImplementedError(\"{function}: not implemented yet (question '{qid}')\")\n")
        i += 1  # skip END
    return "".join(out)


def expected_starter() -> dict[Path, str]:
    """Map each starter file path to the text the generator gives it."""
    return {
        STARTER_PACKAGE / src.name: stub_source(src.read_text(), str(src.relative_to(ROOT)))
        for src in sorted(SOLUTION_PACKAGE.glob("*.py"))
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the starter is up to date")
    args = parser.parse_args(argv)
    expected = expected_starter()
    present = set(STARTER_PACKAGE.glob("*.py")) if STARTER_PACKAGE.exists() else set()
    stale = sorted(p for p in present - set(expected))
    changed = sorted(p for p, text in expected.items() if not p.exists() or p.read_text() != text)
    if args.check:
        for p in changed + stale:
            print(f"out of date: {p.relative_to(ROOT)} (run `make assignments`)")
        return 1 if changed or stale else 0
    STARTER_PACKAGE.mkdir(parents=True, exist_ok=True)
    for p in stale:
        p.unlink()
    for p in changed:
        p.write_text(expected[p])
    print(f"assignments/conv_gemm: {len(changed)} file(s) written, {len(stale)} removed, {len(expected)} in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
