"""The documentation names only what exists, and `make help` lists every make target.

Every README.md and docs/*.md path is checked: Markdown links (relative to the page) and code
spans that look like paths in this repository (relative to the repository root, or to
``autograder/`` and ``autograder/grader/`` as the grader's own docs write them). Paths that the
project generates (``dist/``, ``grades/``, the samples, ``.venv/``, ``bench/results/``) and
patterns (``<id>``) are not looked up. The docs never point outside the repository and are not a
development log.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BASES = [ROOT, ROOT / "autograder", ROOT / "autograder" / "grader"]
GENERATED = ("dist/", "grades/", "autograder/samples", ".venv", "bench/results", "OUT/", "DIR", "/opt/", "/autograder",
             "$AUTOGRADER_ROOT", "~/", "conv_gemm/", "/etc/", "/proc", "/dev/", "/usr/")
"""Generated or external paths, and folders of a submission or of the release (conv_gemm/ inside them)."""
TOP = ("autograder/", "tools/", "tests/", "bench/", "solutions/", "assignments/", "docs/", "runtime/", "instructor/",
       "questions/", "grader/")
PATH_LIKE = re.compile(r"^[\w.\-/]+\.(py|md|sh|txt|json|ipynb|png|ini)$|^[\w.\-]+/[\w.\-/]*$")
LOG_PHRASES = ("../shared", "this round", "previous round", "before this issue", "this issue", "was lent", "the seed's",
               "stand-ins")


def named_paths(page: Path) -> list[tuple[str, list[Path]]]:
    """(name as written, candidate locations) for every path the page names."""
    text = page.read_text(encoding="utf-8")
    found = []
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        target = target.split("#")[0]
        found.append((target, [(page.parent / target)]))
    for span in re.findall(r"`([^`\n]+)`", text):
        span = span.strip()
        if " " in span or "<" in span or "*" in span or "=" in span or not PATH_LIKE.match(span):
            continue
        if span.startswith(GENERATED) or any(g in span for g in ("autograder/samples", "bench/results")):
            continue
        if "/" not in span and not span.endswith((".md", ".py", ".sh")):
            continue
        if "/" not in span or not span.startswith(TOP):
            continue
        found.append((span, [base / span for base in BASES]))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_path_the_docs_name_exists(page):
    missing = [name for name, where in named_paths(page) if not any(p.exists() for p in where)]
    assert not missing, f"{page.relative_to(ROOT)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docs_are_for_their_readers_not_a_log(page):
    text = page.read_text(encoding="utf-8").lower()
    found = [phrase for phrase in LOG_PHRASES if phrase in text]
    assert not found, f"{page.relative_to(ROOT)}: {found}"


def make_targets(makefile: Path) -> list[str]:
    """The targets a person can type: every rule name (no variables, files or special targets)."""
    targets = []
    for line in makefile.read_text().splitlines():
        m = re.match(r"^([A-Za-z][\w-]*)\s*:(?!=)", line)
        if m and m.group(1) not in targets:
            targets.append(m.group(1))
    return targets


@pytest.mark.parametrize("makefile", [ROOT / "Makefile", ROOT / "autograder" / "student" / "Makefile"],
                         ids=["repository", "student release"])
def test_make_help_lists_every_target_once(makefile, tmp_path):
    # the student Makefile reads requirements.txt beside it: run it from a copy that has one
    (tmp_path / "Makefile").write_text(makefile.read_text())
    (tmp_path / "requirements.txt").write_text((ROOT / "requirements.txt").read_text())
    out = subprocess.run(["make", "-s", "help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    listed = re.findall(r"^make ([\w-]+)", out.stdout, re.M)
    targets = make_targets(makefile)
    assert {"help", "check"} <= set(targets)
    assert sorted(listed) == sorted(targets), f"make help lists {listed}, the Makefile has {targets}"
