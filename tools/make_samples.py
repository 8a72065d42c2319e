"""Build the sample class in autograder/samples/ (not committed: built from the current sources).

- ``complete``: the reference solution, inside ``conv_gemm/``, with the solved notebook;
- ``starter``: the bare starter, flat files, as a student who did nothing would submit it;
- ``alice_partial``: cost and im2col done, im2col rows in (i, j, c) order, conv2d flips the
  kernel, nothing else attempted (flat files);
- ``bob_partial.zip``: most of it done, but dx without the kernel rotation and a mean instead
  of a median in time_callable; layout and Winograd not attempted (a zip of conv_gemm/).

The bugs are the mutants of tests/mutants/, so the samples and the mutant tests agree.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "autograder" / "samples"
SOLUTIONS = ROOT / "solutions" / "conv_gemm"
STARTER = ROOT / "assignments" / "conv_gemm"


def header(snippet: Path) -> dict:
    """The ``# key: value`` lines a corpus snippet starts with (tests/corpus.py documents them)."""
    meta = {}
    for line in snippet.read_text().splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, _, value = line[2:].partition(":")
        meta[key.strip()] = value.strip()
    return meta

MUTANTS = ROOT / "tests" / "mutants"


def module_sources(reference: set[str], bugs: list[str]) -> dict[str, str]:
    """Reference text for the modules in ``reference``, starter text for the rest, bugs appended."""
    files = {}
    for src in sorted(STARTER.glob("*.py")):
        base = SOLUTIONS if src.stem in reference else STARTER
        files[src.name] = (base / src.name).read_text()
    for bug in bugs:
        snippet = MUTANTS / f"{bug}.py"
        module = header(snippet)["module"]
        files[f"{module}.py"] += "\n\n# ---- a classic bug\n" + snippet.read_text()
    return files


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def main() -> int:
    shutil.rmtree(SAMPLES, ignore_errors=True)
    everything = {p.stem for p in SOLUTIONS.glob("*.py")}
    write(SAMPLES / "complete" / "conv_gemm", module_sources(everything, []))
    solved = ROOT / "autograder" / "notebook" / "solved.ipynb"
    if solved.is_file():
        shutil.copyfile(solved, SAMPLES / "complete" / "conv_gemm.ipynb")
    write(SAMPLES / "starter", module_sources(set(), []))
    if (ROOT / "assignments" / "conv_gemm.ipynb").is_file():
        shutil.copyfile(ROOT / "assignments" / "conv_gemm.ipynb", SAMPLES / "starter" / "conv_gemm.ipynb")
    write(SAMPLES / "alice_partial", module_sources({"cost", "im2col", "conv2d"}, ["m04_im2col_rows_ijc", "m09_conv2d_flipped_kernel"]))
    bob = everything - {"layout", "winograd"}
    staging = SAMPLES / "_bob"
    write(staging / "bob_partial" / "conv_gemm", module_sources(bob, ["m14_backward_dx_unrotated", "m24_time_callable_mean"]))
    shutil.make_archive(str(SAMPLES / "bob_partial"), "zip", staging, "bob_partial")
    shutil.rmtree(staging)
    print(f"samples: {', '.join(sorted(p.name for p in SAMPLES.iterdir()))} in {SAMPLES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
