"""Each LMS export is recognised without being told, read into one entry per student with the id
the export gives, and staged into a folder the engine grades; no grading here (fast).
The class folders come from tests/lms_exports.py (the documented naming, built in code)."""
from __future__ import annotations

import pytest

from lms_exports import BUILDERS, STUDENTS
from grader.instructor.layouts import LAYOUTS, ClassFolderError, detect, read_class
from grader.instructor.staging import stage
from grader.interface import MODULE_FUNCTIONS
from grader.submission import locate


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    work = tmp_path_factory.mktemp("lms")
    return {name: (work / name, build(work, work / name)) for name, build in BUILDERS.items()}


@pytest.mark.parametrize("layout", sorted(BUILDERS))
def test_layout_is_recognised_and_every_student_has_their_id(exports, layout):
    folder, expected = exports[layout]
    assert detect(folder) == layout
    name, entries = read_class(folder)
    assert name == layout
    assert {e.key: e.lms_id for e in entries} == expected
    assert all(e.layout == layout for e in entries)


@pytest.mark.parametrize("layout", sorted(BUILDERS))
def test_staged_students_hold_what_they_handed_in(exports, layout, tmp_path):
    folder, expected = exports[layout]
    _, entries = read_class(folder)
    for entry in entries:
        kind = next(s.kind for s in STUDENTS if entry.lms_id in (s.uid, s.login) or entry.key.startswith(f"{s.first}_"))
        staged = tmp_path / entry.key
        problems = stage(entry, staged)
        found = locate(staged, entry.key)
        if kind == "nothing":
            assert found.package_dir is None and found.notebook is None, (layout, entry)
            continue
        assert found.package_dir is not None, (layout, entry, problems, sorted(p.name for p in staged.rglob("*")))
        assert {m for m in MODULE_FUNCTIONS if (found.package_dir / f"{m}.py").is_file()} == set(MODULE_FUNCTIONS)
        cost = (found.package_dir / "cost.py").read_text()
        # the bug student (and only they) carries the mutant; Blackboard's late student only their latest attempt
        assert ("appended by tests/corpus.py" in cost) == (kind == "bug"), (layout, entry.key)


def test_canvas_reads_late_and_resubmitted_files(exports):
    _, entries = read_class(exports["canvas"][0])
    late = {e.lms_id for e in entries if e.late}
    assert late == {s.uid for s in STUDENTS if s.kind == "late"}
    ada = next(e for e in entries if e.lms_id == STUDENTS[0].uid)
    assert "cost.py" in {target for _, target in ada.sources}
    assert not any(target.startswith("cost-") for _, target in ada.sources)


def test_names_come_from_the_export(exports):
    _, entries = read_class(exports["blackboard"][0])
    assert {e.name for e in entries} == {s.full for s in STUDENTS}
    _, entries = read_class(exports["moodle"][0])
    assert {e.name for e in entries} == {s.full for s in STUDENTS}
    _, entries = read_class(exports["gradescope"][0])
    assert {e.name for e in entries} == {s.full for s in STUDENTS}


def test_an_export_inside_a_folder_of_its_own_is_found(exports, tmp_path):
    import shutil

    shutil.copytree(exports["moodle"][0], tmp_path / "class" / "CS101-Conv-GEMM-123")
    name, entries = read_class(tmp_path / "class")
    assert name == "moodle" and len(entries) == len(STUDENTS)


def test_a_class_folder_with_no_submission_is_an_error(tmp_path):
    with pytest.raises(ClassFolderError, match="no submission found"):
        read_class(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ClassFolderError, match="no submission found"):
        read_class(tmp_path)
    with pytest.raises(ClassFolderError, match="not a folder"):
        read_class(tmp_path / "missing")
    with pytest.raises(ClassFolderError, match="unknown layout"):
        read_class(tmp_path, "brightspace")


def test_a_named_layout_is_used_as_named(exports):
    with pytest.raises(ClassFolderError, match="read as the canvas layout"):
        read_class(exports["moodle"][0], "canvas")
    assert set(LAYOUTS) == set(BUILDERS)


def test_export_names_cannot_escape_the_staged_folder(tmp_path):
    from grader.instructor.layouts.entry import Entry

    (tmp_path / "evil").write_text("x = 1\n")
    entry = Entry(key="k", name="k", lms_id="1", layout="canvas", submission="evil",
                  sources=((str(tmp_path / "evil"), ".."), (str(tmp_path / "evil"), "../../escape.py")))
    stage(entry, tmp_path / "staged" / "k")
    assert sorted(p.name for p in (tmp_path / "staged").rglob("*")) == ["escape.py", "k"]
    assert (tmp_path / "staged" / "k" / "escape.py").is_file()
