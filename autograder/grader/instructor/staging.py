"""A student's files, as a layout found them in the class folder, staged into one folder of
their own: each file under its original name, the student's folders and zips unpacked, every
zip at any level opened, all under one unpacking budget for the submission (grader.unpack).
The engine then grades that folder as it grades any submission folder."""
from __future__ import annotations

from pathlib import Path

from grader.instructor.layouts.entry import Entry
from grader.unpack import UnpackBudget, copy_file, copy_tree, unpack_zip, unpack_zips_in


def safe_file_name(name: str) -> str | None:
    """The last part of a name from an export, or None where it names no file (``..``, empty)."""
    name = Path(name.replace("\\", "/")).name
    return None if name in ("", ".", "..") else name


def stage(entry: Entry, dest: Path, budget: UnpackBudget | None = None) -> list[str]:
    """Write ``entry``'s files into ``dest`` (created); the problems met, for the feedback."""
    budget = budget or UnpackBudget()
    dest.mkdir(parents=True, exist_ok=True)
    for src, target in entry.sources:
        path = Path(src)
        if path.is_symlink():
            budget.note(f"skipped {path.name[:200]!r}: a link")
        elif path.is_dir():
            copy_tree(path, dest, budget)  # a student's folder: its contents are the submission
        elif not target and path.suffix.lower() == ".zip":
            unpack_zip(path, dest, budget)  # a student's zip: likewise
        elif (name := safe_file_name(target or path.name)) is not None:
            copy_file(path, dest / name, budget)
        if budget.exhausted:
            break
    unpack_zips_in(dest, budget)
    return list(budget.problems)
