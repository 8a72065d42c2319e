"""The student release as a student runs it: dist/student.zip unzipped and `make check` run there.

Each run unzips the release into a fresh folder whose path holds a space, gives it to an
ordinary user (created here when the tests run as root; otherwise the tests already run as one)
and runs `make check` there. The release's .venv is built cheaply: `python -m venv --without-pip`
from an interpreter of this venv's Python version that the user can run, a .pth file that adds
this project's site-packages, and .venv/.installed stamped newer than requirements.txt so the
release Makefile reuses it instead of pip-installing requirements.txt from PyPI (minutes, and the
network). The grader then sees what a real build gives: an interpreter in the release's own
.venv, with its packages reached through a .pth file, which access.read_paths must find.
"""
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
from corpus import ROOT, SOLUTIONS
from test_feedback import public_points  # noqa: E402

from grader.markdown import figure  # noqa: E402
from grader.questions import CODE_QUESTIONS  # noqa: E402 - the questions graded from the package (all but the notebook)

PACKAGES = Path(__file__).resolve().parent / "packages"
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


