"""GitHub Classroom: the students' repositories cloned side by side (the Classroom assistant's
download, or ``gh classroom clone student-repos``), one ``<assignment>-<username>/`` folder each.
The row's id is the GitHub username.

Recognised when every folder of the class folder (at least two) starts with one common
``<assignment>-`` prefix, or when the folders are git repositories (``.git`` inside).
"""
from __future__ import annotations

import os
from pathlib import Path

from grader.instructor.layouts.entry import Entry, visible

NAME = "classroom"


def _folders(folder: Path) -> list[Path]:
    return [p for p in visible(folder) if p.is_dir()]


def prefix(folder: Path) -> str:
    """The ``<assignment>-`` every folder starts with ("" where there is none)."""
    names = [p.name for p in _folders(folder)]
    common = os.path.commonprefix(names) if len(names) >= 2 else ""
    common = common[: common.rfind("-") + 1]
    return common if common and all(len(n) > len(common) for n in names) else ""


def recognise(folder: Path) -> bool:
    folders = _folders(folder)
    if len(folders) < len(visible(folder)) or not folders:
        return False  # loose files beside the repositories: not a clone of the classroom
    return bool(prefix(folder)) or all((p / ".git").exists() for p in folders)


def read(folder: Path) -> list[Entry]:
    cut = len(prefix(folder))
    entries = []
    for p in _folders(folder):
        user = p.name[cut:]
        entries.append(Entry(key=user, name=user, lms_id=user, layout=NAME, sources=((str(p), ""),), submission=p.name))
    return entries
