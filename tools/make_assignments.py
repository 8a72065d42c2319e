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

The reference package's exports are derived too: everything after ``EXPORTS_MARK`` in
``solutions/conv_gemm/__init__.py`` is written here from the functions that hold a solution
block (a module that imports torch at its top is imported on first use), so a new function is
exported, by both packages, as soon as its block exists.

Usage: ``python tools/make_assignments.py`` writes the starter; ``--check`` exits 1 and lists
the files that differ when the committed starter is out of date. A bad marker is one sentence
on stderr and exit status 1.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import textwrap
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
            raise MarkerError(f"{filename}:{i + 1}: the solution block names question {qid!r}, which has no module: "
                              f"write autograder/grader/questions/{qid}.py first (`make question ID={qid} MODULE=...` "
                              "writes it with the question's other files)")
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


EXPORTS_MARK = "# Written by `make assignments` from the functions holding a solution block: edit the modules, not this.\n"
"""The line of solutions/conv_gemm/__init__.py after which make_assignments writes the exports."""


def solution_functions(source: str) -> list[str]:
    """The top-level functions of a reference module that hold a ``# BEGIN SOLUTION`` block."""
    lines = source.splitlines()
    return [node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)
            and any(BEGIN.match(line) for line in lines[node.lineno - 1:node.end_lineno])]


def imports_torch(source: str) -> bool:
    """True when the module imports torch at its top level (then it is imported on first use)."""
    for node in ast.parse(source).body:
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if any(n == "torch" or n.startswith("torch.") for n in names):
            return True
    return False


def exports_source(package: Path = SOLUTION_PACKAGE) -> str:
    """The imports, ``__all__`` and lazy ``__getattr__`` that follow ``EXPORTS_MARK``."""
    eager, lazy = {}, {}
    for path in sorted(package.glob("*.py")):
        if path.stem.startswith("_") or path.stem == "canonical":
            continue
        source = path.read_text()
        if functions := sorted(solution_functions(source)):
            (lazy if imports_torch(source) else eager)[path.stem] = functions
    lines = ["from . import canonical"]
    for module, functions in eager.items():
        shadows = f"  # binds the function `{module}` over the submodule name" if module in functions else ""
        lines.append(f"from .{module} import {', '.join(functions)}{shadows}")
    names = sorted(["canonical"] + [f for fns in (*eager.values(), *lazy.values()) for f in fns])
    body = textwrap.fill(", ".join(f'"{n}"' for n in names), 100, initial_indent="    ", subsequent_indent="    ")
    lines += ["", f"__all__ = [\n{body},\n]", "", ""]
    lines.append("def __getattr__(name):  # the modules that import torch: imported on first use")
    for module, functions in lazy.items():
        for function in functions:
            lines += [f'    if name == "{function}":', f"        from .{module} import {function}", "", f"        return {function}"]
    lines.append('    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")')
    return "\n".join(lines) + "\n"


def expected_init(package: Path = SOLUTION_PACKAGE) -> str:
    """solutions/conv_gemm/__init__.py as it must read: its own text up to ``EXPORTS_MARK``, then the exports."""
    path = package / "__init__.py"
    text = path.read_text()
    if EXPORTS_MARK not in text:
        raise MarkerError(f"{path.relative_to(ROOT)} has lost the line {EXPORTS_MARK.strip()!r}, after which the exports are written: put it back")
    return text[:text.index(EXPORTS_MARK) + len(EXPORTS_MARK)] + exports_source(package)


def expected_files() -> dict[Path, str]:
    """Map each generated file (the starter's, and the reference's exports) to the text it must have."""
    init = SOLUTION_PACKAGE / "__init__.py"
    sources = {src: src.read_text() for src in sorted(SOLUTION_PACKAGE.glob("*.py"))}
    sources[init] = expected_init()
    out = {init: sources[init]}
    for src, text in sources.items():
        out[STARTER_PACKAGE / src.name] = stub_source(text, str(src.relative_to(ROOT)))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the starter is up to date")
    args = parser.parse_args(argv)
    try:
        expected = expected_files()
    except MarkerError as exc:
        print(f"make_assignments: {exc}", file=sys.stderr)
        return 1
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
        print(f"written: {p.relative_to(ROOT)}")
    starter = sum(p.parent == STARTER_PACKAGE for p in expected)
    print(f"assignments/conv_gemm: {starter} file(s), {len(stale)} removed; {len(changed)} file(s) written in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
