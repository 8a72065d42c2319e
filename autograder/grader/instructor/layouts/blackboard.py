"""Blackboard's "Assignment File Download" (Grade Centre): one flat folder with, per attempt,
``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file name>`` for each file and
``<Assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>.txt`` describing the attempt (``Name:
First Last (username)``, ``Date Submitted: ...``, and per file ``Original filename:`` /
``Filename:``). The latest attempt of each username is graded, each file under its original
name.

Recognised when most of the class folder's entries are named that way.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.instructor.layouts.entry import Entry, visible

NAME = "blackboard"
PATTERN = re.compile(r"^(?P<assignment>.+)_(?P<user>[^_]+)_attempt_(?P<date>\d{4}(?:-\d\d){5})(?:_(?P<file>.+)|\.txt)$")
MAX_TXT_BYTES = 1 << 20


def _matches(folder: Path) -> list[tuple[Path, re.Match]]:
    return [(p, m) for p in visible(folder) if p.is_file() and (m := PATTERN.match(p.name))]


def recognise(folder: Path) -> bool:
    found = _matches(folder)
    return bool(found) and 2 * len(found) >= len(visible(folder))


def read_receipt(path: Path) -> tuple[str, dict[str, str]]:
    """The student's name and {file name in the download: original file name} from the .txt."""
    try:
        text = path.read_bytes()[:MAX_TXT_BYTES].decode("utf-8", "replace")
    except OSError:
        return "", {}
    name, originals, original = "", {}, None
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if key == "Name" and not name:
            name = re.sub(r"\s*\([^()]*\)\s*$", "", value)
        elif key == "Original filename":
            original = value
        elif key == "Filename" and original:
            originals[value] = original
            original = None
    return name, originals


def read(folder: Path) -> list[Entry]:
    latest: dict[str, str] = {}
    matches = _matches(folder)
    for _, m in matches:
        latest[m.group("user")] = max(latest.get(m.group("user"), ""), m.group("date"))
    entries = []
    for user, date in sorted(latest.items()):
        files = [(p, m) for p, m in matches if m.group("user") == user and m.group("date") == date]
        receipt = next((p for p, m in files if m.group("file") is None), None)
        name, originals = read_receipt(receipt) if receipt else ("", {})
        sources = tuple((str(p), originals.get(p.name, m.group("file"))) for p, m in files if m.group("file"))
        entries.append(Entry(key=user, name=name or user, lms_id=user, layout=NAME, sources=sources,
                             submission=f"{files[0][1].group('assignment')}_{user}_attempt_{date}"))
    return entries

