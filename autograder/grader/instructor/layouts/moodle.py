"""Moodle's "Download all submissions": per student a folder
``<Full Name>_<participant id>_assignsubmission_file_/`` holding the files as uploaded (Moodle
3.1 and later, "Download submissions in folders"), or, without folders, flat files
``<Full Name>_<participant id>_assignsubmission_file_<file name>``. Underscores in the name
become spaces. The participant id is the one the grading worksheet's ``Identifier`` column
holds as ``Participant <id>``. Other submission plugins (``assignsubmission_onlinetext_``) are
not graded.

Recognised when any entry of the class folder is named that way.
"""
from __future__ import annotations

import re
from pathlib import Path

from grader.instructor.layouts.entry import Entry, visible

NAME = "moodle"
FOLDER = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_$")
FLAT = re.compile(r"^(?P<name>.+)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")


def _parse(p: Path):
    m = FOLDER.match(p.name) if p.is_dir() else FLAT.match(p.name)
    return m if m and m.group("plugin") == "file" else None


def recognise(folder: Path) -> bool:
    return any(FOLDER.match(p.name) or FLAT.match(p.name) for p in visible(folder))


def read(folder: Path) -> list[Entry]:
    by_id: dict[str, list[tuple[Path, re.Match]]] = {}
    for p in visible(folder):
        if m := _parse(p):
            by_id.setdefault(m.group("id"), []).append((p, m))
    entries = []
    for pid, items in sorted(by_id.items(), key=lambda kv: int(kv[0])):
        name = items[0][1].group("name")
        sources = tuple((str(p), "" if p.is_dir() else m.group("file")) for p, m in items)
        submission = items[0][0].name if len(items) == 1 and items[0][0].is_dir() else f"{name}_{pid} ({len(items)} file(s))"
        entries.append(Entry(key=f"{name}_{pid}", name=name, lms_id=pid, layout=NAME, sources=sources, submission=submission))
    return entries
