"""Unpack what a student handed in under one budget per submission: bytes written, files written,
folder depth and zip nesting, counted across every zip of the submission (a zip inside a folder,
a zip inside a zip) and enforced while writing, so no archive can write more than the budget.

Entry points: :func:`unpack_zip` (one zip into a folder), :func:`unpack_zips_in` (every zip found
anywhere in a staged folder, in place) and :func:`copy_tree` (a student's folder copied under the
same budget). Each returns the problems met, as sentences for the student's feedback.
"""
from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_BYTES = 50 << 20
"""Everything one submission may write when unpacked and copied (50 MiB)."""
MAX_FILES = 2000
MAX_PARTS = 10
"""How many folders deep (path parts) a written file may be; deeper entries are not written."""
MAX_NESTING = 3
"""Zips inside zips opened at most this deep (a student's zip holding a zip of the package: 2)."""
CHUNK = 1 << 16
JUNK = {"__MACOSX", ".DS_Store"}


@dataclass
class UnpackBudget:
    """What one submission has left; shared by every zip and copy of that submission."""

    max_bytes: int = MAX_BYTES
    max_files: int = MAX_FILES
    max_parts: int = MAX_PARTS
    max_nesting: int = MAX_NESTING
    bytes_written: int = 0
    files_written: int = 0
    problems: list[str] = field(default_factory=list)
    exhausted: bool = False
    unpacked: set[str] = field(default_factory=set)  # zips written by unpacking: opened (or refused) already

    def note(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def stop(self, message: str) -> None:
        """The budget is spent: nothing more is written for this submission."""
        self.exhausted = True
        self.note(message)

    def take_file(self) -> bool:
        if self.exhausted:
            return False
        if self.files_written >= self.max_files:
            self.stop(f"the submission unpacks to more than {self.max_files} files; the rest was not read")
            return False
        self.files_written += 1
        return True

    def take_bytes(self, n: int) -> bool:
        if self.bytes_written + n > self.max_bytes:
            self.stop(f"the submission unpacks to more than {self.max_bytes >> 20} MB; the rest was not read")
            return False
        self.bytes_written += n
        return True


def _copy_stream(src, target: Path, budget: UnpackBudget) -> bool:
    """Write ``src`` to ``target`` chunk by chunk, charging the budget before each chunk; a file
    cut short by the budget is removed (half a file is never graded)."""
    with open(target, "wb") as out:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                return True
            if not budget.take_bytes(len(chunk)):
                break
            out.write(chunk)
    target.unlink(missing_ok=True)
    return False


def _skipped(parts: tuple[str, ...]) -> bool:
    return any(p in JUNK for p in parts) or parts[-1].startswith("._")


def unpack_zip(zip_path: Path, dest: Path, budget: UnpackBudget, nesting: int = 1) -> list[str]:
    """Unpack ``zip_path`` into ``dest`` under ``budget``: no absolute paths, no '..', no links; a
    zip found inside is unpacked beside itself (into its name without ``.zip``) while
    ``nesting`` allows. Returns the budget's problems so far."""
    if nesting > budget.max_nesting:
        budget.note(f"zips nested more than {budget.max_nesting} deep were not opened")
        return budget.problems
    inner_zips = []
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            if len(infos) > budget.max_files:
                budget.stop(f"{zip_path.name} has {len(infos)} entries; at most {budget.max_files} are read")
                return budget.problems
            for info in infos:
                if budget.exhausted:
                    break
                parts = Path(info.filename).parts
                if not parts or info.is_dir() or _skipped(parts):
                    continue
                if info.filename.startswith("/") or ".." in parts or stat.S_ISLNK(info.external_attr >> 16):
                    budget.note(f"skipped unsafe entry {info.filename[:200]!r}")
                    continue
                if len(parts) > budget.max_parts:
                    budget.note(f"entries nested deeper than {budget.max_parts} folders were not read")
                    continue
                if info.file_size > budget.max_bytes - budget.bytes_written:  # declared size: refuse before writing
                    budget.stop(f"the submission unpacks to more than {budget.max_bytes >> 20} MB; the rest was not read")
                    break
                target = dest.joinpath(*parts)
                if target.exists() or not budget.take_file():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src:
                    if _copy_stream(src, target, budget) and target.suffix.lower() == ".zip":
                        inner_zips.append(target)
                        budget.unpacked.add(os.path.realpath(target))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError, ValueError, NotImplementedError, EOFError) as exc:
        budget.note(f"could not read {zip_path.name}: {type(exc).__name__}: {str(exc)[:200]}")
    for inner in inner_zips:
        if budget.exhausted:
            break
        _unpack_beside(inner, budget, nesting + 1)
    return budget.problems


def _unpack_beside(zip_file: Path, budget: UnpackBudget, nesting: int) -> None:
    """A zip found in the student's files, unpacked into a folder of its name (without .zip);
    nothing happens where that name is taken (the student's own folder wins)."""
    folder = zip_file.with_suffix("")
    if folder.exists():
        return
    if nesting > budget.max_nesting:
        budget.note(f"zips nested more than {budget.max_nesting} deep were not opened")
        return
    folder.mkdir()
    unpack_zip(zip_file, folder, budget, nesting)


def unpack_zips_in(root: Path, budget: UnpackBudget) -> list[str]:
    """Open every zip under ``root`` (a staged copy: written here, so changed in place), each
    beside itself, at any depth up to ``budget.max_parts``. Breadth first, no recursion. Zips that
    came out of a zip are left to that zip's unpacking (their nesting counts there): once only."""
    queue = [(root, 0)]
    while queue and not budget.exhausted:
        folder, depth = queue.pop(0)
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.is_symlink():
                continue
            path = Path(entry.path)
            if entry.is_dir() and depth + 1 < budget.max_parts and entry.name not in JUNK:
                queue.append((path, depth + 1))
            elif entry.is_file() and path.suffix.lower() == ".zip" and os.path.realpath(entry.path) not in budget.unpacked:
                _unpack_beside(path, budget, 1)  # its own zips are opened inside, counting their nesting
    return budget.problems


def copy_file(src: Path, target: Path, budget: UnpackBudget) -> bool:
    """One regular file (never a link, a device or a fifo) copied under the budget."""
    try:
        info = os.lstat(src)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode):
        budget.note(f"skipped {src.name[:200]!r}: not a regular file")
        return False
    if info.st_size > budget.max_bytes - budget.bytes_written:
        budget.stop(f"the submission is larger than {budget.max_bytes >> 20} MB; the rest was not read")
        return False
    if not budget.take_file():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as f:
        return _copy_stream(f, target, budget)


def copy_tree(src: Path, dest: Path, budget: UnpackBudget) -> list[str]:
    """A student's folder copied into ``dest`` (regular files and folders only, breadth first);
    deeper than ``budget.max_parts`` is left out, said so. Zips in it are opened by unpack_zips_in."""
    dest.mkdir(parents=True, exist_ok=True)
    queue = [(src, dest, 0)]
    while queue and not budget.exhausted:
        folder, target, depth = queue.pop(0)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            budget.note(f"could not read {folder.name}: {type(exc).__name__}")
            continue
        for entry in entries:
            if entry.name in JUNK or entry.name.startswith("._") or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                if depth + 1 >= budget.max_parts:
                    budget.note(f"folders nested deeper than {budget.max_parts} levels were not read")
                    continue
                (target / entry.name).mkdir(exist_ok=True)
                queue.append((Path(entry.path), target / entry.name, depth + 1))
            elif not copy_file(Path(entry.path), target / entry.name, budget):
                if budget.exhausted:
                    break
    return budget.problems
