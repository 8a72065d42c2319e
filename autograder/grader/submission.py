"""Find a student's files in a submission (folder or zip, flat or inside conv_gemm/) and stage them."""
from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.interface import MODULE_FUNCTIONS, TRUSTED_MODULES

MAX_FILE_BYTES = 1 << 20
MAX_ZIP_BYTES = 50 << 20
MAX_ZIP_ENTRIES = 2000


@dataclass
class Submission:
    student: str
    package_dir: Path | None  # folder holding the student's .py files
    notebook: Path | None
    problems: list[str] = field(default_factory=list)

    def has_module(self, name: str) -> bool:
        return self.package_dir is not None and (self.package_dir / f"{name}.py").is_file()


def student_name(path: Path) -> str:
    name = path.name[:-4] if path.name.endswith(".zip") else path.name
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "unnamed"


def extract_zip(zip_path: Path, dest: Path) -> list[str]:
    """Safe extraction: no absolute paths, no '..', no links, bounded size and count."""
    problems = []
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                return [f"the zip has {len(infos)} entries; at most {MAX_ZIP_ENTRIES} are read"]
            total = 0
            for info in infos:
                parts = Path(info.filename).parts
                if info.filename.startswith("/") or ".." in parts or stat.S_ISLNK(info.external_attr >> 16):
                    problems.append(f"skipped unsafe entry {info.filename!r}")
                    continue
                if info.is_dir() or "__MACOSX" in parts:
                    continue
                total += info.file_size
                if total > MAX_ZIP_BYTES:
                    problems.append("the zip is larger than 50 MB uncompressed; the rest was not read")
                    break
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(f"could not read the zip: {exc}")
    return problems


def locate(root: Path, student: str) -> Submission:
    """Find the folder with the most assignment modules (conv_gemm/ preferred) and the notebook."""
    wanted = set(MODULE_FUNCTIONS)
    best, best_score = None, 0
    for d in [root] + sorted(p for p in root.rglob("*") if p.is_dir() and len(p.relative_to(root).parts) <= 4):
        if d.is_symlink() or "__MACOSX" in d.parts:
            continue
        score = sum((d / f"{m}.py").is_file() for m in wanted) * 2 + (d.name == "conv_gemm")
        if score > best_score:
            best, best_score = d, score
    notebooks = sorted(p for p in root.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and not p.is_symlink())
    notebook = next((p for p in notebooks if p.name == "conv_gemm.ipynb"), notebooks[0] if notebooks else None)
    sub = Submission(student, best if best_score >= 2 else None, notebook)
    if sub.package_dir is None:
        sub.problems.append("no assignment files (cost.py, im2col.py, conv2d.py, ...) were found in the submission")
    return sub


def stage_package(sub: Submission, dest: Path, trusted: dict[str, Path]) -> None:
    """Copy the student's .py files (bounded) into ``dest``, then the grader's trusted scaffolding."""
    dest.mkdir(parents=True, exist_ok=True)
    if sub.package_dir is not None:
        for src in sorted(sub.package_dir.glob("*.py")):
            if src.is_symlink() or not src.is_file() or src.stem in TRUSTED_MODULES:
                continue
            if not src.stem.isidentifier():
                continue
            if src.stat().st_size > MAX_FILE_BYTES:
                sub.problems.append(f"{src.name} is larger than 1 MB and was not graded")
                continue
            shutil.copyfile(src, dest / src.name)
    for name, path in trusted.items():
        shutil.copyfile(path, dest / f"{name}.py")
    for p in dest.iterdir():
        p.chmod(0o644)
