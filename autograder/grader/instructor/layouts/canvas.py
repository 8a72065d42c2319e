"""Canvas's "Download Submissions": one flat folder of every student's files, each renamed
``<name>_[LATE_]<user id>_<attachment id>_<original file name>``, where ``<name>`` is the
student's sortable name lowercased with everything but letters and digits removed, ``LATE_``
marks a submission after the due date, and a file uploaded again under the same name gets a
``-1``, ``-2`` ... before its extension. The user id is Canvas's own (the gradebook's ``ID``).

Recognised when most of the class folder's entries are files named that way.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.instructor.layouts.entry import Entry, visible

NAME = "canvas"
PATTERN = re.compile(r"^(?P<name>[^_]+)_(?P<late>LATE_)?(?P<uid>\d+)_(?P<aid>\d+)_(?P<file>.+)$")
RESUBMITTED = re.compile(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)$")


def original_name(file: str) -> str:
    """``cost-1.py`` -> ``cost.py``: Canvas's suffix for a file uploaded again."""
    m = RESUBMITTED.match(file)
    return m.group("stem") + m.group("ext") if m else file


def _matches(folder: Path) -> list[tuple[Path, re.Match]]:
    return [(p, m) for p in visible(folder) if p.is_file() and (m := PATTERN.match(p.name))]


def recognise(folder: Path) -> bool:
    found, everything = _matches(folder), visible(folder)
    return bool(found) and 2 * len(found) >= len(everything)


def read(folder: Path) -> list[Entry]:
    by_user: dict[str, list[tuple[Path, re.Match]]] = {}
    for p, m in _matches(folder):
        by_user.setdefault(m.group("uid"), []).append((p, m))
    entries = []
    for uid, files in sorted(by_user.items()):
        # one file per original name: the latest upload (highest attachment id) wins
        chosen: dict[str, tuple[int, Path]] = {}
        for p, m in files:
            target = original_name(m.group("file"))
            if target not in chosen or int(m.group("aid")) > chosen[target][0]:
                chosen[target] = (int(m.group("aid")), p)
        name = files[0][1].group("name")
        entries.append(Entry(key=f"{name}_{uid}", name=name, lms_id=uid, layout=NAME,
                             sources=tuple((str(p), target) for target, (_, p) in sorted(chosen.items())),
                             submission=f"{name}_{uid} ({len(files)} file(s))",
                             late=any(m.group("late") for _, m in files)))
    return entries
