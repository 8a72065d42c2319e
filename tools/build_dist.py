"""Build what instructors hand out: ``dist/autograder.zip`` (Gradescope) and ``dist/student/`` (+ .zip).

The Gradescope zip holds the whole grader (public and hidden checks, the grader's own
implementations) but never the reference solution; the student release holds the starter,
the notebook, the public checks and nothing else. tests/test_dist.py proves both.

Usage: ``python tools/build_dist.py autograder|release``
"""
from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
GRADER = ROOT / "autograder" / "grader"
STARTER = ROOT / "assignments" / "conv_gemm"
TRUSTED = ("_args.py", "canonical.py")

INSTRUCTOR_ONLY = GRADER / "instructor"
"""The folder that reveals answers or grades a class (hidden checks, oracle, gradebook, notebook
grader): never in the student release. Everything else under grader/ is public."""
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # reproducible archives


def grader_files(public_only: bool) -> dict[str, Path]:
    """The grader package's .py files, by folder: all of them, or (the release) all but instructor/."""
    sources = sorted(p for p in GRADER.rglob("*.py") if "__pycache__" not in p.parts)
    if public_only:
        sources = [p for p in sources if INSTRUCTOR_ONLY not in p.parents]
    files = {f"grader/{p.relative_to(GRADER).as_posix()}": p for p in sources}
    files.update({f"grader/trusted/{n}": STARTER / n for n in TRUSTED})
    return files


def autograder_files() -> dict[str, Path]:
    files = {
        "setup.sh": ROOT / "autograder" / "gradescope" / "setup.sh",
        "run_autograder": ROOT / "autograder" / "gradescope" / "run_autograder",
        "requirements.txt": ROOT / "requirements.txt",
    }
    files.update(grader_files(public_only=False))
    notebook_assets = ROOT / "autograder" / "notebook"
    if notebook_assets.is_dir():
        for p in sorted(notebook_assets.rglob("*")):
            # solved.ipynb (the answers, for the sample class) stays home: grading never reads it
            if p.is_file() and "__pycache__" not in p.parts and p.name != "solved.ipynb":
                files[f"notebook/{p.relative_to(notebook_assets).as_posix()}"] = p
    return files


def release_files() -> dict[str, Path]:
    files = {f"conv_gemm/{p.name}": p for p in sorted(STARTER.glob("*.py"))}
    notebook = ROOT / "assignments" / "conv_gemm.ipynb"
    if notebook.is_file():
        files["conv_gemm.ipynb"] = notebook
    files.update(grader_files(public_only=True))
    files["Makefile"] = ROOT / "autograder" / "student" / "Makefile"
    files["README.md"] = ROOT / "autograder" / "student" / "README.md"
    files["requirements.txt"] = ROOT / "requirements.txt"
    return files


def write_zip(path: Path, files: dict[str, Path], prefix: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, src in sorted(files.items()):
            info = zipfile.ZipInfo(prefix + name, FIXED_TIME)
            info.external_attr = (0o755 if src.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, src.read_bytes())


def build_autograder() -> Path:
    target = DIST / "autograder.zip"
    write_zip(target, autograder_files())
    print(f"built {target.relative_to(ROOT)} ({target.stat().st_size / 1024:.0f} KiB, {len(autograder_files())} files)")
    return target


def build_release() -> Path:
    folder = DIST / "student"
    shutil.rmtree(folder, ignore_errors=True)
    files = release_files()
    for name, src in files.items():
        dest = folder / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        shutil.copymode(src, dest)
    write_zip(DIST / "student.zip", files, prefix="conv-gemm/")
    print(f"built {folder.relative_to(ROOT)}/ and dist/student.zip ({len(files)} files)")
    return folder


if __name__ == "__main__":
    what = sys.argv[1:] or ["autograder", "release"]
    for w in what:
        {"autograder": build_autograder, "release": build_release}[w]()
