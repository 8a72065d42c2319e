"""The two artifacts: the Gradescope zip run end to end, and the student release; nothing leaks."""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from corpus import ROOT, SOLUTIONS, build, corpus
from test_feedback import public_points  # noqa: E402
from test_grader import validate_results_json  # noqa: E402

from grader.markdown import figure  # noqa: E402


@pytest.fixture(scope="module")
def artifacts():
    subprocess.run([sys.executable, "tools/build_dist.py", "autograder", "release"], cwd=ROOT, check=True, capture_output=True)
    return ROOT / "dist" / "autograder.zip", ROOT / "dist" / "student", ROOT / "dist" / "student.zip"


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


def autograder_root(zip_path: Path, root: Path, submission: Path) -> tuple[Path, dict]:
    """Gradescope's layout in a temporary AUTOGRADER_ROOT: the zip in source/, the submission beside it;
    returns run_autograder's path and its environment (the venv is this one; setup.sh is timed apart)."""
    source = root / "source"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(source)
    for name in ("run_autograder", "setup.sh"):
        os.chmod(source / name, 0o755)
    shutil.copytree(submission, root / "submission")
    venv = Path(sys.prefix)
    return source / "run_autograder", {"AUTOGRADER_ROOT": str(root), "CONV_GEMM_VENV": str(venv), "PATH": f"{venv / 'bin'}:/usr/bin:/bin"}


def run_autograder(zip_path: Path, root: Path, submission: Path) -> dict:
    """Gradescope's steps, then results.json."""
    script, env = autograder_root(zip_path, root, submission)
    proc = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.slow
def test_run_autograder_end_to_end(artifacts, tmp_path):
    zip_path = artifacts[0]
    complete = run_autograder(zip_path, tmp_path / "complete", build(tmp_path / "sub_complete"))
    validate_results_json(complete)
    assert complete["score"] >= 94  # all code questions; the notebook is graded in tests/test_notebook.py
    by_number = {t["number"]: t for t in complete["tests"]}
    assert by_number["conv2d.1"]["visibility"] == "visible"
    hidden = [t for t in complete["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["number"].split(".")[0] in build_dist_questions() for t in hidden)
    summaries = [t for t in complete["tests"] if t["number"].endswith(".0")]
    assert summaries and all(t["visibility"] == "visible" and t["max_score"] == 0 for t in summaries)
    assert complete["extra_data"]["seed"] and complete["extra_data"]["environment"]["torch"]
    starter = run_autograder(zip_path, tmp_path / "starter", build(tmp_path / "sub_starter", base=ROOT / "assignments" / "conv_gemm"))
    validate_results_json(starter)
    assert starter["score"] == 0
    hostile_snippet = next(p for p in corpus("hostile") if p.stem.startswith("h07"))
    hostile = run_autograder(zip_path, tmp_path / "hostile", build(tmp_path / "sub_hostile", hostile_snippet))
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


# ---------------------------------------------------------------- the unzipped release, as a student runs it
# Each run unzips dist/student.zip into a fresh folder whose path holds a space, gives it to an
# ordinary user (created here when the tests run as root; otherwise the tests already run as one)
# and runs `make check` there. The release's .venv is built cheaply: `python -m venv --without-pip`
# from an interpreter of this venv's Python version that the user can run, a .pth file that adds
# this project's site-packages, and .venv/.installed stamped newer than requirements.txt so the
# release Makefile reuses it instead of pip-installing requirements.txt from PyPI (minutes, and the
# network). The grader then sees what a real build gives: an interpreter in the release's own
# .venv, with its packages reached through a .pth file, which access.read_paths must find.
PACKAGES = Path(__file__).resolve().parent / "packages"
from grader.questions import CODE_QUESTIONS  # noqa: E402 - the questions graded from the package (all but the notebook)
NOTICE = "without file confinement"
TOTAL_LINE = re.compile(r"^[^\n]*: ([\d.]+) / ([\d.]+) \(\+ ([\d.]+) of ([\d.]+) extra credit\)[ \t]*$", re.M)  # rich pads the line
ROW = re.compile(r"^\s*(\w+)(?: \(extra credit\))?\s+([\d.]+) / ([\d.]+)\s+\d+\s+\d+\s+\d+\s*$", re.M)  # the score table


@pytest.fixture(scope="module")
def student_user():
    """An ordinary user to run the release as: created (and removed after) under root, else the current user."""
    if os.geteuid() != 0:
        yield None  # the tests already run as an ordinary user
        return
    if not (shutil.which("useradd") and shutil.which("runuser") and shutil.which("userdel")):
        pytest.skip("running as root without useradd/runuser/userdel: cannot create an ordinary user to run the release as")
    name = f"cgstudent{os.getpid() % 100000}"
    made = subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"useradd {name} failed: {made.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def as_user(user: str | None, argv: list[str]) -> list[str]:
    """``argv`` run as ``user`` (None: as this process); runuser by full path, as PATH may lack sbin."""
    return [shutil.which("runuser"), "-u", user, "--", *argv] if user else argv


def base_python(user: str | None) -> str:
    """An interpreter of this venv's Python version that ``user`` can run (the venv's own base first)."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates = [os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
                  f"/usr/bin/python{version}", f"/usr/local/bin/python{version}", shutil.which(f"python{version}") or ""]
    probe = f"import sys; assert sys.version_info[:2] == ({sys.version_info.major}, {sys.version_info.minor})"
    for exe in dict.fromkeys(c for c in candidates if c and os.path.isfile(c)):
        if subprocess.run(as_user(user, [exe, "-c", probe]), capture_output=True, cwd="/").returncode == 0:
            return exe
    pytest.skip(f"no Python {version} interpreter that an ordinary user may run (this venv's base is {candidates[0]})")


@pytest.fixture(scope="module")
def release_parent():
    """A world-traversable temporary folder (pytest's own tmp_path is private to root)."""
    parent = Path(tempfile.mkdtemp(prefix="conv-gemm-release-"))
    os.chmod(parent, 0o755)
    yield parent
    shutil.rmtree(parent, ignore_errors=True)


def unzip_release(zip_path: Path, where: Path, user: str | None) -> Path:
    """Unzip the release into ``where/'student release'/``, build its cheap .venv, give it to ``user``."""
    where.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(where / "student release")
    release = where / "student release" / "conv-gemm"
    assert (release / "Makefile").is_file() and (release / "conv_gemm" / "cost.py").is_file()
    subprocess.run([base_python(user), "-m", "venv", "--without-pip", str(release / ".venv")], check=True, capture_output=True)
    site_dirs = dict.fromkeys(os.path.realpath(sysconfig.get_paths()[k]) for k in ("purelib", "platlib"))
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    pth = release / ".venv" / "lib" / version / "site-packages" / "project_site_packages.pth"
    pth.write_text("".join(f"import site; site.addsitedir({d!r})\n" for d in site_dirs))
    stamp = release / ".venv" / ".installed"
    stamp.touch()
    newer = max(time.time(), (release / "requirements.txt").stat().st_mtime) + 1
    os.utime(stamp, (newer, newer))
    if user:
        subprocess.run(["chown", "-R", f"{user}:", str(where)], check=True)
    probe = subprocess.run(as_user(user, [str(release / ".venv" / "bin" / "python"), "-c", "import numpy, torch"]),
                           capture_output=True, text=True, cwd=release)
    if probe.returncode != 0:
        pytest.skip(f"an ordinary user cannot import this project's packages ({', '.join(site_dirs)}): {probe.stderr[-300:]}")
    return release


def make_check(release: Path, user: str | None, **env) -> str:
    """``make check`` in the release as ``user``; its stdout and stderr, after checking it exited 0."""
    environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", **env}
    proc = subprocess.run(as_user(user, ["make", "check"]), cwd=release, env=environment, capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "pip install" not in out, "the release Makefile rebuilt the venv instead of reusing it"
    return out


def put_package(release: Path, package: Path, user: str | None) -> None:
    """Replace the release's conv_gemm/ by the ``.py`` files of ``package``."""
    target = release / "conv_gemm"
    shutil.rmtree(target)
    target.mkdir()
    for src in package.glob("*.py"):
        shutil.copyfile(src, target / src.name)
    if user:
        subprocess.run(["chown", "-R", f"{user}:", str(target)], check=True)


def assert_full_public_score(out: str) -> None:
    total = TOTAL_LINE.search(out)
    assert total, out[-3000:]
    rows = {q: (float(s), float(m)) for q, s, m in ROW.findall(out)}
    assert set(rows) == set(CODE_QUESTIONS), out[-3000:]
    lost = {q: r for q, r in rows.items() if r[0] != r[1]}
    assert not lost, f"questions below full marks: {lost}\n{out[-4000:]}"
    regular, extra = public_points()
    assert total.group(1, 2, 3, 4) == (figure(regular), figure(regular), figure(extra), figure(extra)), total.group(0)
    assert "Traceback" not in out


def assert_landlock_notice(out: str, forced_off: bool) -> None:
    from grader.runtime import landlock

    notices = [line for line in out.splitlines() if NOTICE in line]
    expected = 1 if forced_off or landlock.unavailable_reason() else 0
    assert len(notices) == expected, notices
    if forced_off:
        assert "GRADER_NO_LANDLOCK" in notices[0]


def test_release_read_paths_cover_the_venv_and_never_the_release_root(artifacts, student_user, release_parent):
    """What a child may read in the release: its .venv's packages (through the .pth), never the release root or grader/."""
    release = unzip_release(artifacts[2], release_parent / "paths", student_user)
    code = ("import json, site; from grader import access; "
            "print(json.dumps([access.read_paths(), __import__('torch').__file__, __import__('numpy').__file__]))")
    proc = subprocess.run(as_user(student_user, [str(release / ".venv" / "bin" / "python"), "-c", code]), cwd=release,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": "."}, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    paths, torch_file, numpy_file = json.loads(proc.stdout)
    root, grader = os.path.realpath(release), os.path.realpath(release / "grader")
    home = pwd.getpwnam(student_user).pw_dir if student_user else os.path.expanduser("~")

    def inside(path, folder):
        return path == folder or path.startswith(folder.rstrip("/") + "/")

    for p in paths:
        assert not inside(root, p), f"{p} holds the release root"
        assert not inside(p, grader), f"{p} is inside the release's grader/"
        assert p != "/" and not inside(home, p), f"{p} holds the student's home {home}"
    for needed in (torch_file, numpy_file, os.path.realpath(release / ".venv" / "lib")):
        assert any(inside(os.path.realpath(needed), p) for p in paths), f"{needed} is not readable by the child"


@pytest.mark.slow
def test_release_make_check_on_the_starter_as_a_student(artifacts, student_user, release_parent):
    release = unzip_release(artifacts[2], release_parent / "starter", student_user)
    out = make_check(release, student_user)
    regular, extra = public_points()
    assert TOTAL_LINE.search(out).group(1, 2, 3, 4) == ("0", figure(regular), "0", figure(extra)), out[-3000:]
    assert "Traceback" not in out
    flat = " ".join(out.split())  # rich wraps and pads lines
    for q in CODE_QUESTIONS:
        assert re.search(rf"(^|\s){q}( \(extra credit\))?: 0 / \d+", flat), f"{q}: no section in the report\n{out}"
    diagnoses = re.findall(r"Diagnosis: (.*?)(?= Diagnosis: | On Gradescope each question|$)", flat)
    assert diagnoses and all("not implemented yet" in d for d in diagnoses), diagnoses[:5]
    assert_landlock_notice(out, forced_off=False)


PRYING = """

# ---- appended by tests/test_dist.py: reads the release's own files if it can, and then sabotages itself
_seen = []
for _path in {paths!r}:
    try:
        with open(_path) as _f:
            _seen.append(_f.read(10))
    except OSError:
        pass
if _seen:
    def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
        raise RuntimeError("read %d files outside the package" % len(_seen))
"""


@pytest.mark.slow
def test_release_make_check_on_the_reference_as_a_student(artifacts, student_user, release_parent):
    """Full marks; where Landlock works, also while backward.py tries to read the release's own files."""
    from grader.runtime import landlock

    release = unzip_release(artifacts[2], release_parent / "reference", student_user)
    put_package(release, SOLUTIONS, student_user)
    if landlock.unavailable_reason() is None:
        backward = release / "conv_gemm" / "backward.py"
        secrets = [str(release / "README.md"), str(release / "grader" / "questions" / "cost.py"), str(release / "conv_gemm" / "cost.py")]
        backward.write_text(backward.read_text() + PRYING.format(paths=secrets))
    out = make_check(release, student_user)
    assert_full_public_score(out)
    assert_landlock_notice(out, forced_off=False)


@pytest.mark.slow
def test_release_make_check_on_an_independent_package_in_odd_forms_as_a_student(artifacts, student_user, release_parent, tmp_path):
    """BOM, CRLF, latin-1, a non-ASCII name, absolute imports, `from conv_gemm import conv2d`, timeit.py/random.py helpers."""
    from packages.odd_forms import write_odd_forms

    odd = write_odd_forms(PACKAGES / "independent" / "conv_gemm", tmp_path / "odd" / "conv_gemm")
    release = unzip_release(artifacts[2], release_parent / "odd forms", student_user)
    put_package(release, odd, student_user)
    assert_full_public_score(make_check(release, student_user))


@pytest.mark.slow
def test_release_make_check_on_the_reference_as_root(artifacts, release_parent):
    if os.geteuid() != 0:
        pytest.skip("not running as root: the root case needs root")
    release = unzip_release(artifacts[2], release_parent / "as root", None)
    put_package(release, SOLUTIONS, None)
    assert_full_public_score(make_check(release, None))


@pytest.mark.slow
def test_release_make_check_without_landlock_says_so_in_one_line(artifacts, student_user, release_parent):
    release = unzip_release(artifacts[2], release_parent / "no landlock", student_user)
    put_package(release, SOLUTIONS, student_user)
    out = make_check(release, student_user, GRADER_NO_LANDLOCK="1")
    assert_full_public_score(out)
    assert_landlock_notice(out, forced_off=True)


@pytest.mark.slow
def test_independent_package_scores_the_full_public_score_in_the_repository():
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(PACKAGES / "independent")], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "autograder")}, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert_full_public_score(proc.stdout + proc.stderr)


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
