"""One unpacking budget per submission (grader.unpack), enforced while writing: every hostile
archive of tests/hostile_archives/ is stopped, says why, and honest zips (a zip in a folder, a
zip in a zip) are opened at any level."""
from __future__ import annotations

import os
import zipfile

import pytest

from hostile_archives import build as hostile
from grader.instructor.layouts.entry import Entry
from grader.instructor.staging import stage
from grader.submission import extract_zip, locate
from grader.unpack import MAX_BYTES, MAX_FILES, MAX_NESTING, UnpackBudget
from lms_exports import package, zip_of


def written(folder) -> tuple[int, int]:
    """(bytes, files) under ``folder``, counted by walking it (not by the grader's own count)."""
    size = files = 0
    for root, _, names in os.walk(folder):
        for n in names:
            files += 1
            size += os.lstat(os.path.join(root, n)).st_size
    return size, files


def student(path):
    return Entry(key=path.name, name=path.name, lms_id="", layout="plain", sources=((str(path), ""),), submission=path.name)


@pytest.mark.parametrize("case", sorted(hostile.CASES))
def test_byte_attacks_stop_at_the_submission_budget(case, tmp_path):
    src = tmp_path / "class" / case
    unlimited = hostile.CASES[case](src)
    archives = sum(p.stat().st_size for p in src.iterdir())
    assert unlimited > MAX_BYTES  # the attack is real
    problems = stage(student(src), tmp_path / "staged")
    size, _ = written(tmp_path / "staged")
    assert size <= MAX_BYTES + archives, (case, size)
    assert any("more than 50 MB" in p or f"nested more than {MAX_NESTING}" in p for p in problems), problems


def test_a_zip_chain_opens_only_as_deep_as_the_budget_allows(tmp_path):
    src = tmp_path / "class" / "chain"
    hostile.nested_chain(src, depth=1000)
    problems = stage(student(src), tmp_path / "staged")
    levels = max(len(p.relative_to(tmp_path / "staged").parts) for p in (tmp_path / "staged").rglob("*"))
    assert levels <= 2 * MAX_NESTING + 2, levels
    assert any(f"nested more than {MAX_NESTING} deep" in p for p in problems), problems


def test_file_count_is_one_budget_for_all_zips(tmp_path):
    src = tmp_path / "class" / "files"
    total = hostile.many_files(src)
    assert total > MAX_FILES
    problems = stage(student(src), tmp_path / "staged")
    _, files = written(tmp_path / "staged")
    assert files <= MAX_FILES + 3  # the three zips themselves are copied files too, counted in the budget
    assert any(f"more than {MAX_FILES} files" in p for p in problems), problems


def test_a_top_level_zip_is_one_budget_too(tmp_path):
    src = tmp_path / "src"
    hostile.zip_of_zips(src)
    problems = extract_zip(src / "outer.zip", tmp_path / "out")
    assert written(tmp_path / "out")[0] <= MAX_BYTES
    assert any("more than 50 MB" in p for p in problems), problems


def test_the_budget_is_checked_before_writing_a_declared_size(tmp_path):
    src = tmp_path / "src"
    hostile.zip_bomb(src, mib=200)
    budget = UnpackBudget()
    extract_zip(src / "bomb.zip", tmp_path / "out", budget)
    assert budget.bytes_written == 0 and written(tmp_path / "out") == (0, 0)


def test_honest_zips_at_any_level_are_opened(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    pkg = package(work, "correct")
    inner = zip_of(pkg, work / "inner.zip")
    outer = tmp_path / "class" / "alice"
    (outer / "deep" / "er").mkdir(parents=True)
    with zipfile.ZipFile(outer / "deep" / "er" / "handin.zip", "w") as zf:
        zf.write(inner, "final/submission.zip")  # a zip of the zip, two folders down
    problems = stage(student(outer), tmp_path / "staged")
    found = locate(tmp_path / "staged", "alice")
    assert found.package_dir is not None and (found.package_dir / "conv2d.py").is_file(), problems
    assert not problems
