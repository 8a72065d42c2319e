"""Find a student's files in a submission (folder or zip, flat or inside conv_gemm/) and stage them."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from grader.interface import MODULE_FUNCTIONS, TRUSTED_MODULES
from grader.unpack import UnpackBudget, unpack_zip

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 8
"""How deep below the submission's root its files are looked for (never recursion on its depth)."""
MAX_FOLDERS = 5000


@dataclass
class Submission:
    student: str
    package_dir: Path | None  # folder holding the student's .py files
    notebook: Path | None
    problems: list[str] = field(default_factory=list)

    def has_module(self, name: str) -> bool:
        return self.package_dir is not None and (self.package_dir / f"{name}.py").is_file()


def student_name(path: Path | str) -> str:
    """A folder-safe name from a submission's file or folder name (or any text): letters, digits,
    ``-_.`` kept, the rest ``_``; never empty, never only dots."""
    name = Path(path).name if isinstance(path, Path) else str(path)
    name = name[:-4] if name.endswith(".zip") else name
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]
    return name if name.strip(".") else "unnamed"


def walk_folders(root: Path, max_depth: int = MAX_DEPTH) -> tuple[list[Path], bool]:
    """Every real folder under ``root`` down to ``max_depth`` (breadth first, no recursion, no
    links, no ``__MACOSX``), and whether anything deeper or beyond MAX_FOLDERS was left out."""
    found, queue, cut = [root], [(root, 0)], False
    while queue:
        folder, depth = queue.pop(0)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False) or entry.name == "__MACOSX":
                continue
            if depth + 1 > max_depth or len(found) >= MAX_FOLDERS:
                cut = True
                continue
            found.append(Path(entry.path))
            queue.append((Path(entry.path), depth + 1))
    return found, cut


def extract_zip(zip_path: Path, dest: Path, budget: UnpackBudget | None = None) -> list[str]:
    """A submission handed in as a zip, unpacked into ``dest`` under one budget for the whole
    submission (grader.unpack: bytes, files, depth, zips inside zips); the problems met."""
    return list(unpack_zip(Path(zip_path), Path(dest), budget or UnpackBudget()))


def locate(root: Path, student: str) -> Submission:
    """Find the folder with the most assignment modules (conv_gemm/ preferred) and the notebook."""
    wanted = set(MODULE_FUNCTIONS)
    best, best_score = None, 0
    folders, cut = walk_folders(root)
    for d in folders:
        score = sum((d / f"{m}.py").is_file() for m in wanted) * 2 + (d.name == "conv_gemm")
        if score > best_score:
            best, best_score = d, score
    notebooks = sorted(p for d in folders if ".ipynb_checkpoints" not in d.parts for p in d.glob("*.ipynb")
                       if p.is_file() and not p.is_symlink() and not p.name.startswith("._"))
    notebook = next((p for p in notebooks if p.name == "conv_gemm.ipynb"), notebooks[0] if notebooks else None)
    sub = Submission(student, best if best_score >= 2 else None, notebook)
    if cut:
        sub.problems.append(f"folders nested deeper than {MAX_DEPTH} levels (or more than {MAX_FOLDERS} folders) were not searched")
    if sub.package_dir is None:
        sub.problems.append("no assignment files (cost.py, im2col.py, conv2d.py, ...) were found in the submission")
    return sub


def stage_package(sub: Submission, dest: Path, trusted: dict[str, Path]) -> None:
    """Copy the student's .py files (bounded; helper subpackages two levels deep) into ``dest``,
    then the grader's trusted scaffolding over any student copy of it."""
    dest.mkdir(parents=True, exist_ok=True)
    if sub.package_dir is not None:
        _stage_folder(sub, sub.package_dir, dest, top=True, depth=0)
    for name, path in trusted.items():
        shutil.copyfile(path, dest / f"{name}.py")
    for p in dest.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)


def _stage_folder(sub: Submission, src_dir: Path, dest: Path, *, top: bool, depth: int) -> None:
    for src in sorted(src_dir.glob("*.py")):
        if src.is_symlink() or not src.is_file() or not src.stem.isidentifier() or (top and src.stem in TRUSTED_MODULES):
            continue
        if src.stat().st_size > MAX_FILE_BYTES:
            sub.problems.append(f"{src.relative_to(sub.package_dir)} is larger than 1 MB and was not graded")
            continue
        shutil.copyfile(src, dest / src.name)
    if depth >= 2:
        return
    for folder in sorted(p for p in src_dir.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.isidentifier() and (folder / "__init__.py").is_file():
            (dest / folder.name).mkdir(exist_ok=True)
            _stage_folder(sub, folder, dest / folder.name, top=False, depth=depth + 1)
