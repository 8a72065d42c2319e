"""Class folders as each learning-management system exports them, built in code from the
reference solution and a mutant (never hand-typed blobs), following each LMS's documented naming
(docs/lms.md cites it; the layout modules in grader/instructor/layouts/ describe it).

Every class has the same five students (:data:`STUDENTS`): a correct package, a package with a
bug (mutant m01: cost loses points), a late correct package, a correct package handed in as a zip
inside their folder (or as a zip attachment), and one with nothing gradable. Each builder returns
{student key: expected LMS id}.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from corpus import TESTS, build

from grader.sandbox import Limits

MUTANT = TESTS / "mutants" / "m01_output_size_ignores_dilation.py"


@dataclass(frozen=True)
class Student:
    first: str
    last: str
    uid: str  # Canvas user id / Moodle participant id / Gradescope submission id
    login: str  # Blackboard / GitHub username
    kind: str  # "correct", "bug", "late", "zipped", "nothing"

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def canvas_name(self) -> str:  # Canvas: sortable name, lowercased, letters and digits only
        return "".join(ch for ch in f"{self.last}{self.first}".lower() if ch.isalnum())


STUDENTS = (
    Student("Ada", "Lovelace", "10001", "alovelace", "correct"),
    Student("Grace", "Hopper", "10002", "ghopper", "bug"),
    Student("Alan", "Turing", "10003", "aturing", "late"),
    Student("Edsger", "Dijkstra", "10004", "edijkstra", "zipped"),
    Student("Barbara", "Liskov", "10005", "bliskov", "nothing"),
)


def package(work: Path, kind: str) -> Path:
    """The flat .py files of a correct (or, for "bug", the mutant's) package."""
    dest = work / f"pkg-{kind}"
    if not dest.exists():
        build(dest, MUTANT if kind == "bug" else None)
    return dest


def zip_of(folder: Path, target: Path, inside: str = "conv_gemm") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.glob("*.py")):
            zf.write(p, f"{inside}/{p.name}")
    return target


def files_of(work: Path, s: Student) -> dict[str, bytes]:
    """What the student uploaded: file name -> bytes (flat LMS layouts)."""
    if s.kind == "nothing":
        return {"notes.txt": b"I did not finish.\n"}
    pkg = package(work, s.kind)
    if s.kind == "zipped":
        return {"submission.zip": zip_of(pkg, work / f"{s.login}.zip").read_bytes()}
    return {p.name: p.read_bytes() for p in sorted(pkg.glob("*.py"))}


def canvas(work: Path, dest: Path) -> dict:
    """``<name>_[LATE_]<user id>_<attachment id>_<file>``; the correct student's cost.py was
    uploaded again (``cost-1.py``)."""
    dest.mkdir(parents=True)
    aid = 500000
    for s in STUDENTS:
        for name, data in files_of(work, s).items():
            aid += 1
            if s.kind == "correct" and name == "cost.py":
                name = "cost-1.py"
            late = "LATE_" if s.kind == "late" else ""
            (dest / f"{s.canvas_name}_{late}{s.uid}_{aid}_{name}").write_bytes(data)
    return {f"{s.canvas_name}_{s.uid}": s.uid for s in STUDENTS}


def moodle(work: Path, dest: Path) -> dict:
    """``<Full Name>_<id>_assignsubmission_file_/`` folders; the zipped student's folder holds
    ``my submission.zip``; the bug student's files are flat (the download without folders)."""
    dest.mkdir(parents=True)
    for s in STUDENTS:
        files = files_of(work, s)
        if s.kind == "zipped":
            files = {"my submission.zip": files["submission.zip"]}
        if s.kind == "bug":
            for name, data in files.items():
                (dest / f"{s.full}_{s.uid}_assignsubmission_file_{name}").write_bytes(data)
            continue
        folder = dest / f"{s.full}_{s.uid}_assignsubmission_file_"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
    (dest / f"{STUDENTS[0].full}_{STUDENTS[0].uid}_assignsubmission_onlinetext_").mkdir()  # another plugin: not graded
    return {f"{s.full}_{s.uid}": s.uid for s in STUDENTS}


def blackboard(work: Path, dest: Path) -> dict:
    """``<Assignment>_<user>_attempt_<date>_<file>`` and the attempt's ``.txt``; the late student
    has an older attempt with the bug, graded only by its latest (correct) attempt."""
    dest.mkdir(parents=True)
    assignment = "Conv_GEMM lab"

    def attempt(s: Student, date: str, files: dict[str, bytes]) -> None:
        stem = f"{assignment}_{s.login}_attempt_{date}"
        lines = [f"Name: {s.full} ({s.login})", f"Assignment: {assignment}", f"Date Submitted: {date}", "Current Grade: Needs Grading",
                 "", "Submission Field:", "There is no student submission text data for this assignment.", "", "Comments:",
                 "There are no student comments for this assignment.", "", "Files:"]
        for name, data in files.items():
            stored = f"{stem}_{name.replace(' ', '')}"
            (dest / stored).write_bytes(data)
            lines += [f"\tOriginal filename: {name}", f"\tFilename: {stored}", ""]
        (dest / f"{stem}.txt").write_text("\n".join(lines))

    for s in STUDENTS:
        if s.kind == "late":
            attempt(s, "2026-11-28-09-00-00", files_of(work, Student(s.first, s.last, s.uid, s.login, "bug")))
        attempt(s, "2026-11-30-23-59-59" if s.kind != "late" else "2026-12-02-08-15-00", files_of(work, s))
    return {s.login: s.login for s in STUDENTS}


def gradescope(work: Path, dest: Path) -> dict:
    """``submission_<id>/`` folders and ``submission_metadata.yml`` (Ruby-symbol keys)."""
    dest.mkdir(parents=True)
    metadata = {}
    for n, s in enumerate(STUDENTS):
        folder = dest / f"submission_{9000 + n}"
        folder.mkdir()
        files = files_of(work, s)
        if s.kind not in ("zipped", "nothing"):
            (folder / "conv_gemm").mkdir()
            files = {f"conv_gemm/{k}": v for k, v in files.items()}
        for name, data in files.items():
            (folder / name).write_bytes(data)
        metadata[folder.name] = {":submitters": [{":name": s.full, ":sid": s.uid, ":email": f"{s.login}@example.edu"}],
                                 ":created_at": "2026-11-30 12:00:00 -0800", ":score": 0.0}
    (dest / "submission_metadata.yml").write_text(yaml.safe_dump(metadata, sort_keys=True))
    return {f"{s.full}_{s.uid}": s.uid for s in STUDENTS}


def classroom(work: Path, dest: Path) -> dict:
    """``conv-gemm-<username>/`` repositories (with ``.git``), the package under ``conv_gemm/``."""
    dest.mkdir(parents=True)
    for s in STUDENTS:
        repo = dest / f"conv-gemm-{s.login}"
        (repo / ".git").mkdir(parents=True)
        (repo / "README.md").write_text("# Convolution as GEMM\n")
        files = files_of(work, s)
        sub = repo if s.kind in ("zipped", "nothing") else repo / "conv_gemm"
        sub.mkdir(exist_ok=True)
        for name, data in files.items():
            (sub / name).write_bytes(data)
    return {s.login: s.login for s in STUDENTS}


def plain(work: Path, dest: Path) -> dict:
    """One folder per student named after them; the zipped student's folder holds a zip."""
    dest.mkdir(parents=True)
    for s in STUDENTS:
        folder = dest / f"{s.first}_{s.last}"
        folder.mkdir()
        for name, data in files_of(work, s).items():
            (folder / name).write_bytes(data)
    return {f"{s.first}_{s.last}": "" for s in STUDENTS}


BUILDERS = {"canvas": canvas, "moodle": moodle, "blackboard": blackboard, "gradescope": gradescope,
            "classroom": classroom, "plain": plain}


# ---------------------------------------------------------------- the classes graded
LIMITS = Limits(call_seconds=5, start_seconds=20)
QUESTIONS = ["cost"]  # one question: a class takes seconds
SEED = 5
HOSTILE_NAMES = ['=HYPERLINK("evil.example","x")', "grades.csv", "histogram.png", "@SUM(1)", "-2+3"]


def grade(folder: Path, out: Path, **kw):
    """``make grade`` on a class folder, two workers, only QUESTIONS."""
    from grader.instructor.gradebook import grade_folder

    return grade_folder(folder, out, workers=2, progress=False, limits=LIMITS, questions=QUESTIONS, seed=SEED, **kw)


def grade_classes(work: Path) -> dict:
    """A class as each LMS exports it, built in ``work`` and graded: ``{"work": work, "graded":
    {layout: (gradebook folder, {submission key: LMS id})}}`` (tests/conftest.py, ``lms_classes``).
    The plain class also has folder names a spreadsheet would run or that name the gradebook's
    own files, and a zip bomb."""
    from hostile_archives import build as hostile_archives

    graded = {}
    for layout, builder in BUILDERS.items():
        ids = builder(work, work / layout)
        if layout == "plain":
            for name in HOSTILE_NAMES:
                (work / layout / name).mkdir()
                (work / layout / name / "notes.txt").write_text("nothing here\n")
            hostile_archives.zip_of_zips(work / layout / "zip_bomber")  # 256 MB unpacked, from a few KB
        grade(work / layout, work / f"{layout}-out")
        graded[layout] = (work / f"{layout}-out", ids)
    return {"work": work, "graded": graded}
