"""The two artifacts: the Gradescope zip run end to end, and the student release; nothing leaks.

The artifacts are built once per session (``artifacts`` in tests/conftest.py); the release as a
student unzips and runs it is tests/test_release.py.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from corpus import ROOT, SOLUTIONS
from test_feedback import public_points  # noqa: E402
from test_grader import validate_results_json  # noqa: E402

from grader.markdown import figure  # noqa: E402


def solution_blocks() -> list[str]:
    """The text of every marked solution block in the reference, whitespace-normalised."""
    blocks = []
    for path in SOLUTIONS.glob("*.py"):
        text = path.read_text()
        for m in re.finditer(r"# BEGIN SOLUTION \w+\n(.*?)# END SOLUTION", text, re.S):
            body = [l.strip() for l in m.group(1).splitlines() if l.strip() and not l.strip().startswith("# HINT:")]
            blocks.append(body)
    return blocks


def archive_texts(zip_path: Path) -> dict[str, str]:
    with zipfile.ZipFile(zip_path) as zf:
        return {n: zf.read(n).decode("utf-8", "replace") for n in zf.namelist()}


def normalised(text: str) -> str:
    return "\n".join(l.strip() for l in text.splitlines() if l.strip())


def assert_no_reference_body(texts: dict[str, str], where: str):
    joined = {name: normalised(t) for name, t in texts.items()}
    for body in solution_blocks():
        block = "\n".join(body)
        distinctive = [l for l in body if len(l) >= 50 and not l.startswith("#")]
        # a one-line answer (a stride formula) may coincide with any correct code; longer blocks may not
        whole_block = len(body) >= 2 or len(block) >= 60
        for name, text in joined.items():
            assert not whole_block or block not in text, f"a reference solution block appears in {where}:{name}"
            for line in distinctive:
                assert line not in text, f"reference line {line!r} appears in {where}:{name}"


def test_autograder_zip_layout_and_no_reference(artifacts):
    zip_path, _, _ = artifacts
    texts = archive_texts(zip_path)
    assert {"setup.sh", "run_autograder", "requirements.txt", "grader/__main__.py", "grader/instructor/hidden/backward.py"} <= set(texts)
    with zipfile.ZipFile(zip_path) as zf:
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    assert not any(n.startswith(("solutions/", "samples/")) or "conv_gemm/" in n for n in texts)
    assert "set -e" in texts["setup.sh"] and "torch==2.13.0" in texts["setup.sh"] and "conda" not in texts["setup.sh"]
    assert_no_reference_body(texts, "autograder.zip")


def test_release_has_the_starter_and_public_checks_only(artifacts):
    _, folder, zip_path = artifacts
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert "conv_gemm/conv2d.py" in names and "README.md" in names and "Makefile" in names
    assert not [n for n in names if n.startswith("grader/instructor")], "the instructor folder never ships"
    assert {"grader/questions/backward.py", "grader/runtime/child.py"} <= names  # the public folders, whole
    texts = {n: (folder / n).read_text(errors="replace") for n in names}
    assert_no_reference_body(texts, "dist/student")
    assert_no_reference_body(archive_texts(zip_path), "dist/student.zip")
    from grader import checks, engine

    engine.load_checks(include_hidden=True)
    hidden_names = {c.name for c in checks.REGISTRY if not c.public}
    everything = "\n".join(texts.values())
    for name in hidden_names:
        assert name not in everything, f"hidden check {name!r} is named in the release"


def test_release_make_check_runs_on_the_starter(artifacts, tmp_path):
    _, folder, _ = artifacts
    copy = tmp_path / "student"
    shutil.copytree(folder, copy)
    proc = subprocess.run([sys.executable, "-m", "grader", "check", "."], cwd=copy, env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    regular, extra = public_points()
    assert f"0 / {figure(regular)} (+ 0 of {figure(extra)} extra credit)" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_run_autograder_end_to_end(end_to_end):
    complete = end_to_end["complete"]
    validate_results_json(complete)
    assert complete["score"] >= 94  # all code questions; the notebook is graded in tests/test_notebook.py
    by_number = {t["number"]: t for t in complete["tests"]}
    assert by_number["conv2d.1"]["visibility"] == "visible"
    hidden = [t for t in complete["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["number"].split(".")[0] in build_dist_questions() for t in hidden)
    summaries = [t for t in complete["tests"] if t["number"].endswith(".0")]
    assert summaries and all(t["visibility"] == "visible" and t["max_score"] == 0 for t in summaries)
    assert complete["extra_data"]["seed"] and complete["extra_data"]["environment"]["torch"]
    starter = end_to_end["starter"]
    validate_results_json(starter)
    assert starter["score"] == 0
    hostile = end_to_end["hostile"]
    validate_results_json(hostile)
    assert hostile["score"] == pytest.approx(complete["score"])


def build_dist_questions():
    from grader.questions import QUESTION_IDS

    return set(QUESTION_IDS)


def test_run_autograder_writes_valid_json_when_the_grader_itself_breaks(artifacts, tmp_path):
    root = tmp_path / "ag"
    source = root / "source"
    with zipfile.ZipFile(artifacts[0]) as zf:
        zf.extractall(source)
    (source / "grader" / "engine.py").write_text("raise RuntimeError('grader bug')\n")
    os.chmod(source / "run_autograder", 0o755)
    (root / "submission").mkdir(parents=True)
    env = {"AUTOGRADER_ROOT": str(root), "CONV_GEMM_VENV": sys.prefix, "PATH": "/usr/bin:/bin"}
    subprocess.run([str(source / "run_autograder")], env=env, capture_output=True, timeout=300)
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "autograder failed" in data["output"]
    # and with no Python at all
    shutil.rmtree(root / "results")
    env["CONV_GEMM_VENV"] = str(tmp_path / "no-venv")
    subprocess.run([str(source / "run_autograder")], env=env, capture_output=True, timeout=300)
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and data["tests"] == []


def test_landlock_forced_off_is_honoured_by_the_child_side(tmp_path):
    """GRADER_NO_LANDLOCK=1: abi 0, a reason naming the variable, and restrict() confines nothing."""
    secret = tmp_path / "readable.txt"
    secret.write_text("still readable")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from grader.runtime import landlock; "
            "abi = landlock.restrict([], []); print(abi, landlock.abi_version(), landlock.unavailable_reason()); "
            "print(open(sys.argv[2]).read())")
    env = {"PATH": "/usr/bin:/bin", "GRADER_NO_LANDLOCK": "1"}
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "autograder"), str(secret)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    first, second = proc.stdout.splitlines()
    assert first.startswith("0 0 ") and "GRADER_NO_LANDLOCK" in first and second == "still readable"
    from grader.runtime import landlock

    if landlock.abi_version() >= 1:  # and without the variable, the same call denies the read
        del env["GRADER_NO_LANDLOCK"]
        proc = subprocess.run([sys.executable, "-c", code, str(ROOT / "autograder"), str(secret)],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode != 0 and "PermissionError" in proc.stderr
