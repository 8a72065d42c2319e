"""Grade a student's ``conv_gemm.ipynb`` with Otter-Grader, in a separate process.

What grading needs lives under ``autograder/notebook/`` (``notebook/`` beside ``grader/`` in the
Gradescope zip), deterministic text files written by ``tools/make_notebook.py`` from the master
notebook ``solutions/conv_gemm.ipynb``; nothing here reads ``solutions/``:

- ``tests/*.py``: Otter's OK-format tests, public *and hidden* cases (never shipped to students);
- ``otter_config.json``: Otter's grading configuration;
- ``questions.json``: the questions, their points per test case, the manual questions' prompts.

:func:`grade_notebook` checks the file (present, non-empty, JSON, a notebook with cells), copies it
with its outputs cleared into a scratch folder next to a copy of the ``conv_gemm`` package (the
``.py`` files of ``package_dir``, or of ``conv_gemm/`` beside the notebook), zips that as the
submission, zips the tests and config as an Otter autograder zip, and runs Otter's own grading
(``otter.run``, which executes the notebook in a Jupyter kernel and runs the tests in it) in a
child Python: its own session, ``preexec_fn`` and ``env`` as given (so the caller can drop
privileges), killed with every process it started on timeout.

The conceptual answers are plain variables, so they do not depend on the package: Otter keeps
executing after a cell fails, a cell that runs longer than ``cell timeout`` is interrupted, and if
the run still does not finish (a hang, a crashed kernel) the notebook is graded a second time
without the package, so that a broken ``conv2d`` never costs the conceptual points.

Limits that come with Otter: the tests run inside the student's kernel (as in every Otter
deployment), so the scores are only as trustworthy as the notebook's code is honest; here they are
at least bounded (case by case, against ``questions.json``) and the student's code never runs in
the grading process. The kernel and Otter's log server talk over localhost TCP.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[1] / "notebook"
NOTEBOOK_NAME = "conv_gemm.ipynb"
PACKAGE_NAME = "conv_gemm"
MAX_NOTEBOOK_BYTES = 16 << 20
MAX_MODULE_BYTES = 1 << 20
MAX_ANSWER_CHARS = 4000
PLACEHOLDER = "_Type your answer here, replacing this text._"  # Otter's empty answer cell
TOKEN_VARIABLE = "CONV_GEMM_NOTEBOOK_GRADING"  # marks every process of one grading run
FIXED_TIME = (2026, 1, 1, 0, 0, 0)

# The child: Otter's non-containerised grading (``otter run``), with a per-cell timeout that
# interrupts the kernel instead of aborting the run, then the results as plain JSON.
DRIVER = r'''
import json
import os
import sys
import traceback

# Confine this process and everything it starts (the kernel runs the student's notebook) before
# any student code runs: read only what grade_notebook allows, write only the scratch folder.
_reads = [p for p in os.environ.pop("GRADER_NB_READ", "").split(os.pathsep) if p]
_writes = [p for p in os.environ.pop("GRADER_NB_WRITE", "").split(os.pathsep) if p]
if _reads:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import landlock

    landlock.restrict(_reads, _writes, network=True)

ag_zip, submission_zip, out_path, cell_timeout = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def write(data):
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(data, f)


try:
    import otter.execute
    from traitlets.config import Config

    class TimedConfig(Config):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.ExecutePreprocessor.timeout = cell_timeout
            self.ExecutePreprocessor.interrupt_on_timeout = True
            self.ExecutePreprocessor.startup_timeout = 120

    otter.execute.Config = TimedConfig  # grade_notebook builds its traitlets Config with this name

    from otter.run import main as otter_run

    results = otter_run(submission_zip, autograder=ag_zip, output_dir=None, no_logo=True)
    catastrophic = getattr(results, "_catastrophic_error", None)
    tests = {}
    for name, test_file in dict(getattr(results, "results", {}) or {}).items():
        cases = []
        for r in test_file.test_case_results:
            cases.append({"hidden": bool(r.test_case.hidden), "passed": r.passed is True,
                          "message": str(r.message or "")[:4000]})
        tests[str(name)] = {"cases": cases}
    write({"ok": catastrophic is None, "error": None if catastrophic is None else repr(catastrophic)[:1000],
           "tests": tests})
except BaseException as exc:
    write({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000], "trace": traceback.format_exc()[-4000:],
           "tests": {}})
    raise
'''


class NotebookProblem(Exception):
    """The submitted notebook cannot be graded: missing, empty, not JSON, not a notebook."""


def load_assets(assets_dir: Path | None = None) -> dict:
    """``questions.json``, ``otter_config.json`` and the test files, checked for consistency."""
    assets = Path(assets_dir) if assets_dir is not None else ASSETS
    questions = json.loads((assets / "questions.json").read_text(encoding="utf-8"))
    config = (assets / "otter_config.json").read_text(encoding="utf-8")
    tests = {p.name: p.read_text(encoding="utf-8") for p in sorted((assets / "tests").glob("*.py"))}
    auto = [q for q in questions["questions"] if not q["manual"]]
    missing = [q["name"] for q in auto if f"{q['name']}.py" not in tests]
    if missing:
        raise FileNotFoundError(f"Otter tests missing for {', '.join(missing)} in {assets / 'tests'}")
    return {"questions": questions, "config": config, "tests": tests}


def _manual_entries(questions: dict, answers: dict | None = None) -> list[dict]:
    entries = []
    for q in questions["questions"]:
        if q["manual"]:
            entry = {"name": q["name"], "max_score": float(q["points"]), "prompt": q["prompt"]}
            if answers is not None:
                entry["answer"] = answers.get(q["name"])
            entries.append(entry)
    return entries


def _result(questions: dict | None, tests: list, error: str | None, answers: dict | None = None) -> dict:
    max_score = float(sum(q["points"] for q in questions["questions"] if not q["manual"])) if questions else 0.0
    return {
        "score": float(round(sum(t["score"] for t in tests), 6)),
        "max_score": max_score,
        "tests": tests,
        "manual": _manual_entries(questions, answers) if questions else [],
        "error": error,
    }


# --------------------------------------------------------------------------------------------
# The submitted file.

def read_notebook(path: Path):
    """The notebook as an nbformat v4 node, or :class:`NotebookProblem` with a message for the student.

    Small defects that editors leave (a cell without metadata or id, list-of-lines sources) are
    repaired; outputs are dropped (Otter runs the notebook again anyway).
    """
    import nbformat

    path = Path(path)
    if not path.exists():
        raise NotebookProblem(f"{path.name}: notebook not found")
    if not path.is_file():
        raise NotebookProblem(f"{path.name}: not a file")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookProblem(f"{path.name} is {size / 2**20:.0f} MiB, over the {MAX_NOTEBOOK_BYTES >> 20} MiB limit "
                              "(clear the outputs before submitting)")
    raw = path.read_bytes()
    if not raw.strip():
        raise NotebookProblem(f"{path.name} is empty: save the notebook in Jupyter before submitting")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotebookProblem(f"{path.name} is not a Jupyter notebook (not UTF-8 text)") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}, column {exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else ""
        raise NotebookProblem(f"{path.name} is not a Jupyter notebook (invalid JSON{where})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        raise NotebookProblem(f"{path.name} is JSON but not a Jupyter notebook (no list of cells)")
    if data.get("nbformat", 4) == 4 and isinstance(data.get("cells"), list):
        data = _repair_v4(data, path.name)
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds
        raise NotebookProblem(f"{path.name} is a broken notebook ({type(exc).__name__}: {str(exc)[:300]})") from None
    if not nb.cells:
        raise NotebookProblem(f"{path.name} has no cells")
    return nb


def _repair_v4(data: dict, name: str) -> dict:
    cells, seen = [], set()
    for i, cell in enumerate(data["cells"]):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise NotebookProblem(f"{name} is a broken notebook (cell {i} is not a code, markdown or raw cell)")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookProblem(f"{name} is a broken notebook (cell {i} has no text source)")
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        cell_id = cell.get("id")
        if not isinstance(cell_id, str) or not cell_id or len(cell_id) > 64 or cell_id in seen \
                or not all(ch.isalnum() or ch in "-_" for ch in cell_id):
            cell_id = f"cell-{i}"
        seen.add(cell_id)
        fixed = {"cell_type": cell["cell_type"], "id": cell_id, "metadata": metadata, "source": source}
        if cell["cell_type"] == "code":
            fixed.update(outputs=[], execution_count=None)
        elif isinstance(cell.get("attachments"), dict) and cell["cell_type"] != "code":
            fixed["attachments"] = cell["attachments"]
        cells.append(fixed)
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def sanitize(nb):
    """Outputs, execution counts and widget state cleared: Otter runs the notebook again anyway."""
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata.pop("widgets", None)
    return nb


def manual_answers(nb, questions: dict) -> dict:
    """The text of each manual question's answer: the markdown cells after its prompt, up to the next
    locked (Otter prompt) or code cell, without Otter's "type your answer here" placeholder."""
    answers = {}
    cells = nb.cells
    for q in questions["questions"]:
        if not q["manual"]:
            continue
        marker = f"({q['name']}"
        answer = None
        for i, cell in enumerate(cells):
            if cell.get("cell_type") == "markdown" and marker in cell.get("source", ""):
                parts = []
                for following in cells[i + 1:]:
                    locked = following.get("metadata", {}).get("deletable") is False
                    if following.get("cell_type") != "markdown" or locked:
                        break
                    text = following.get("source", "").strip()
                    if text and text != PLACEHOLDER:
                        parts.append(text)
                answer = "\n\n".join(parts)[:MAX_ANSWER_CHARS]
                break
        answers[q["name"]] = answer
    return answers


def copy_package(source: Path | None, target: Path) -> list[str]:
    """Copy the top-level ``.py`` files of ``source`` (plain files, not links) into ``target``."""
    if source is None or not Path(source).is_dir():
        return []
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for p in sorted(Path(source).glob("*.py")):
        if p.is_symlink() or not p.is_file() or p.stat().st_size > MAX_MODULE_BYTES:
            continue
        shutil.copyfile(p, target / p.name)
        copied.append(p.name)
    return copied


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            zf.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)


# --------------------------------------------------------------------------------------------
# The child process.

def _descendants(root_pid: int) -> set[int]:
    """Every live process below ``root_pid`` (from /proc; empty where there is none)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return set()
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, stack = set(), [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def _marked(token: str) -> set[int]:
    """Processes whose environment carries this run's token (the kernel runs in a session of its own)."""
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    found = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if needle in f.read().split(b"\0"):
                        found.add(int(entry))
            except OSError:
                continue
    return found


def _kill_all(proc: subprocess.Popen, token: str) -> None:
    """Kill the child, its process group, everything below it and everything carrying the token
    (the Jupyter kernel runs in a session of its own, so the group alone would miss it)."""
    for _ in range(3):
        pids = _descendants(proc.pid) | _marked(token)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # start_new_session: the group id is the child's pid
            except OSError:
                pass
            pids.add(proc.pid)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not pids:
            break
        time.sleep(0.05)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _child_env(base: dict | None, scratch: Path, token: str) -> dict:
    env = dict(os.environ if base is None else base)
    home = scratch / "home"
    defaults = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env.update({
        # Jupyter and IPython write runtime files (kernel connection files, history): keep them here.
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "IPYTHONDIR": str(home / "ipython"),
        "MPLCONFIGDIR": str(home / "matplotlib"),
        "TMPDIR": str(scratch / "tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        TOKEN_VARIABLE: token,
    })
    for key in ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "JUPYTER_PATH"):
        env.pop(key, None)
    return env


def run_otter(scratch: Path, submission_zip: Path, ag_zip: Path, *, deadline_s: float, cell_timeout: int,
              preexec_fn=None, env: dict | None = None, read_paths=None) -> dict:
    """One Otter run in a child process; ``{"ok", "error", "tests"}`` (tests: name -> cases).

    ``read_paths``: when given, the child confines itself with Landlock to reading these and
    the scratch folder, and writing only the scratch folder.
    """
    out = scratch / f"result-{secrets.token_hex(4)}.json"
    driver = scratch / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    env = dict(os.environ if env is None else env)
    if read_paths:
        shutil.copyfile(Path(__file__).with_name("landlock.py"), scratch / "landlock.py")
        env["GRADER_NB_READ"] = os.pathsep.join([*read_paths, str(scratch)])
        env["GRADER_NB_WRITE"] = os.pathsep.join([str(scratch), "/dev/null"])
    for sub in ("home", "tmp"):
        (scratch / sub).mkdir(exist_ok=True)
    if preexec_fn is not None:
        # The child may run as another user: let it read its inputs and write its scratch folders.
        for p in [scratch, *scratch.rglob("*")]:
            try:
                os.chmod(p, 0o777 if p.is_dir() else 0o666)
            except OSError:
                pass
    token = secrets.token_hex(16)
    log = scratch / f"otter-{token[:8]}.log"
    cmd = [sys.executable, "-I", str(driver), str(ag_zip), str(submission_zip), str(out), str(cell_timeout)]
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(cmd, cwd=scratch, env=_child_env(env, scratch, token), stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=preexec_fn)
        timed_out = False
        try:
            proc.wait(timeout=max(1.0, deadline_s))
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_all(proc, token)
    if timed_out:
        return {"ok": False, "error": f"the notebook did not finish within {deadline_s:.0f} s", "tests": {}, "timed_out": True}
    try:
        data = json.loads(out.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("tests"), dict):
            raise ValueError("malformed result")
    except (OSError, ValueError):
        tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
        return {"ok": False, "error": f"Otter stopped before writing results (exit status {proc.returncode})"
                + (f": ...{tail.strip()[-300:]}" if tail.strip() else ""), "tests": {}}
    return data


# --------------------------------------------------------------------------------------------
# Scores.

def score_tests(questions: dict, otter_tests: dict, note: str | None = None) -> list[dict]:
    """One public and one hidden entry per autograded question, points from ``questions.json``.

    Only the pass/fail of each case is taken from the run; a question whose cases do not line up
    with ``questions.json`` scores 0. Hidden entries never carry test text or messages.
    """
    entries = []
    suffix = f"\n({note})" if note else ""
    for q in questions["questions"]:
        if q["manual"]:
            continue
        cases = q["cases"]  # [{"hidden": bool, "points": float}], in Otter's order
        got = otter_tests.get(q["name"], {}).get("cases") if isinstance(otter_tests.get(q["name"]), dict) else None
        aligned = isinstance(got, list) and len(got) == len(cases) and all(
            isinstance(g, dict) and bool(g.get("hidden")) == c["hidden"] for g, c in zip(got, cases))
        for hidden in (False, True):
            idx = [i for i, c in enumerate(cases) if c["hidden"] == hidden]
            if not idx:
                continue
            possible = float(sum(cases[i]["points"] for i in idx))
            passed = [i for i in idx if aligned and got[i].get("passed") is True]
            score = float(sum(cases[i]["points"] for i in passed))
            if hidden:
                name = f"{q['name']} (hidden)"
                if not aligned:
                    output = f"{q['name']}: not graded (the notebook did not run its tests)"
                else:
                    output = f"{q['name']}: {len(passed)} of {len(idx)} hidden test(s) passed"
            else:
                name = q["name"]
                if not aligned:
                    output = f"{q['name']}: not graded (the notebook did not run its tests)"
                elif len(passed) == len(idx):
                    output = f"{q['name']}: public tests passed"
                else:
                    messages = [str(got[i].get("message", ""))[:1500] for i in idx if i not in passed]
                    output = f"{q['name']}: public test failed\n" + "\n".join(m for m in messages if m)
            entries.append({"name": name, "score": round(min(score, possible), 6), "max_score": possible,
                            "output": output + suffix, "visibility": "hidden" if hidden else "visible"})
    return entries


def grade_notebook(notebook_path, *, timeout: float = 180, preexec_fn=None, env: dict | None = None,
                   workdir=None, package_dir=None, assets_dir=None, read_paths=None) -> dict:
    """Grade ``notebook_path`` with Otter in a child process; never raises.

    Args:
        notebook_path: the submitted ``conv_gemm.ipynb``.
        timeout: seconds for the whole grading (the child is killed, with everything it started,
            when they run out).
        preexec_fn, env: passed to the child process (drop privileges, scrub the environment);
            Jupyter/IPython/matplotlib folders and ``TMPDIR`` are pointed into the scratch folder.
        workdir: where to make the scratch folder (a fresh folder inside it, removed afterwards);
            a temporary folder when None. Under ``preexec_fn`` the scratch files are made world
            writable so that another user can run the notebook there.
        package_dir: the ``conv_gemm`` folder to copy beside the notebook; when None,
            ``conv_gemm/`` beside the notebook, if there is one.
        assets_dir: the grading material (default ``autograder/notebook``, ``notebook/`` in the zip).
        read_paths: where given, the Otter process confines itself with Landlock to reading these
            and its scratch folder, and writing only its scratch folder (engine passes
            grader.sandbox.read_paths()).

    Returns:
        ``{"score", "max_score", "tests": [{"name", "score", "max_score", "output", "visibility"}],
        "manual": [{"name", "max_score", "prompt", "answer"}], "error": None or str}``. Each
        autograded question gives a visible entry (public tests: type and format) and a hidden
        one (values). ``error`` says why a notebook scored 0 without being run, or why it was
        graded without the package.
    """
    started = time.monotonic()
    questions = None
    scratch = None
    try:
        try:
            assets = load_assets(assets_dir)
            questions = assets["questions"]
        except Exception as exc:  # noqa: BLE001
            return _result(None, [], f"notebook grading material missing or broken ({type(exc).__name__}: {exc}); "
                                     "run tools/make_notebook.py")
        try:
            nb = read_notebook(Path(notebook_path))
        except NotebookProblem as problem:
            return _result(questions, [], str(problem))
        import nbformat

        answers = manual_answers(nb, questions)
        nb_text = nbformat.writes(sanitize(nb))

        base = Path(workdir) if workdir is not None else None
        if base is not None:
            base.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix="notebook-", dir=base))
        source_pkg = Path(package_dir) if package_dir is not None else Path(notebook_path).parent / PACKAGE_NAME
        staged = scratch / "package"
        modules = copy_package(source_pkg, staged)

        submission_files = {NOTEBOOK_NAME: nb_text.encode("utf-8")}
        with_package = dict(submission_files)
        with_package.update({f"{PACKAGE_NAME}/{m}": (staged / m).read_bytes() for m in modules})
        ag_zip = scratch / "otter-autograder.zip"
        ag_files = {"otter_config.json": assets["config"].encode("utf-8")}
        ag_files.update({f"tests/{name}": text.encode("utf-8") for name, text in assets["tests"].items()})
        write_zip(ag_zip, ag_files)

        remaining = timeout - (time.monotonic() - started)
        cell_timeout = int(max(10, min(30, timeout / 6)))  # a reference cell takes under 2 s
        error = None
        if modules:
            first = scratch / "submission.zip"
            write_zip(first, with_package)
            # Keep time for a second run without the package if this one does not finish.
            budget = remaining * 0.6
            run = run_otter(scratch, first, ag_zip, deadline_s=budget, cell_timeout=cell_timeout,
                            preexec_fn=preexec_fn, env=env, read_paths=read_paths)
            if run.get("ok") and run["tests"]:
                return _result(questions, score_tests(questions, run["tests"]), None, answers)
            error = f"the notebook did not finish with your conv_gemm package ({run.get('error')})"
        second = scratch / "submission-no-package.zip"
        write_zip(second, submission_files)
        remaining = timeout - (time.monotonic() - started)
        if remaining < 5:
            return _result(questions, score_tests(questions, {}), (error or "") + "; no time left to grade the answers alone")
        run = run_otter(scratch, second, ag_zip, deadline_s=remaining - 1, cell_timeout=cell_timeout,
                        preexec_fn=preexec_fn, env=env, read_paths=read_paths)
        note = "graded without your conv_gemm package" if modules else "no conv_gemm package found: graded without it"
        if run.get("ok") and run["tests"]:
            message = f"{error}; the answers were graded from a run without it" if error else None
            return _result(questions, score_tests(questions, run["tests"], note), message, answers)
        failure = run.get("error") or "no results"
        return _result(questions, score_tests(questions, {}), (f"{error}; " if error else "") +
                       f"the notebook could not be graded: {failure}", answers)
    except Exception as exc:  # noqa: BLE001 - the promise is: never raise
        return _result(questions, [], f"the notebook grader failed: {type(exc).__name__}: {exc}")
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":  # python autograder/grader/notebook.py NOTEBOOK [PACKAGE_DIR]
    result = grade_notebook(sys.argv[1], package_dir=sys.argv[2] if len(sys.argv) > 2 else None)
    print(json.dumps(result, indent=2))
