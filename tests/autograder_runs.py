"""Gradescope's steps for the grader's own tests: the zip unpacked in an AUTOGRADER_ROOT and
``run_autograder`` run there, as is or inside Gradescope's default container (cgroup v1 groups:
768 MiB, half a CPU).

The container runs take minutes at half a CPU, mostly waiting: :class:`Background` starts them
as the session begins (tests/conftest.py, when a selected test asks for ``container_runs``) and
the tests that read them wait for their results, while the rest of the suite uses the CPUs.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from corpus import ROOT, build

from grader.interface import MODULE_FUNCTIONS

MiB = 1 << 20
CONTAINER_PREFIX = "conv-gemm-test-"  # every test container's cgroup name starts so


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


def _v1_hierarchy(controller: str) -> Path | None:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        _, mountpoint, fstype, options, *_ = line.split()
        if fstype == "cgroup" and controller in options.split(","):
            return Path(mountpoint)
    return None


def in_test_container(pid: int) -> bool:
    """Whether process ``pid`` runs inside one of these tests' containers (a cgroup named CONTAINER_PREFIX...)."""
    try:
        return f"/{CONTAINER_PREFIX}" in Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False


class DefaultContainer:
    """Gradescope's default limits as cgroup v1 groups: memory 768 MiB, CPU quota 50000 of 100000 us."""

    def __init__(self, name: str):
        mem, cpu = _v1_hierarchy("memory"), _v1_hierarchy("cpu")
        if os.geteuid() != 0:
            pytest.skip("needs root to create cgroups")
        if mem is None or cpu is None:
            pytest.skip("no cgroup v1 memory and cpu hierarchies under /sys/fs/cgroup")
        self.mem, self.cpu = mem / name, cpu / name
        try:
            for group in (self.mem, self.cpu):
                group.mkdir(exist_ok=True)
            (self.mem / "memory.limit_in_bytes").write_text(str(768 * MiB))
            if (self.mem / "memory.memsw.limit_in_bytes").exists():
                (self.mem / "memory.memsw.limit_in_bytes").write_text(str(768 * MiB))  # no swap to escape to
            (self.cpu / "cpu.cfs_period_us").write_text("100000")
            (self.cpu / "cpu.cfs_quota_us").write_text("50000")
        except OSError as exc:
            self.close()
            pytest.skip(f"cannot configure cgroups here: {exc}")

    def wrap(self, argv: list[str]) -> list[str]:
        """The command, started inside both groups (the shell joins them, then execs)."""
        join = f'echo $$ > "{self.mem}/cgroup.procs" && echo $$ > "{self.cpu}/cgroup.procs" && exec "$@"'
        return ["/bin/sh", "-c", join, "sh", *argv]

    def peak_bytes(self) -> int:
        """Peak usage, page cache included (the kernel fills the cap with cache and reclaims it)."""
        return int((self.mem / "memory.max_usage_in_bytes").read_text())

    def anonymous_bytes(self) -> int:
        """Memory that cannot be reclaimed, now: resident anonymous pages and swap of the whole group."""
        stats = dict(line.split() for line in (self.mem / "memory.stat").read_text().splitlines())
        return int(stats.get("total_rss", 0)) + int(stats.get("total_swap", 0))

    def oom_kills(self) -> int:
        stats = dict(line.split() for line in (self.mem / "memory.oom_control").read_text().splitlines())
        return int(stats.get("oom_kill", 0))

    def leftover(self) -> list[int]:
        return [int(p) for p in (self.mem / "cgroup.procs").read_text().split()]

    def close(self):
        for pid in self.leftover() if self.mem.exists() else []:
            try:
                os.kill(pid, 9)  # only processes this test started: the group holds nothing else
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for group in (self.mem, self.cpu):
            while group.exists():
                try:
                    group.rmdir()
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.2)


def run_in_default_container(zip_path: Path, root: Path, submission: Path, metadata: dict | None = None,
                             budget: float | None = None, boxes: list | None = None) -> tuple[dict, dict]:
    """Gradescope's steps (as :func:`run_autograder`) inside the default limits; returns results.json
    and the figures. ``boxes``: where the open container is listed while it runs (to end it early)."""
    script, env = autograder_root(zip_path, root, submission)
    if metadata is not None:
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
    if budget is not None:
        env["CONV_GEMM_BUDGET"] = str(budget)
    box = DefaultContainer(f"{CONTAINER_PREFIX}{os.getpid()}-{root.name}")
    if boxes is not None:
        boxes.append(box)
    peak_anon, done = [0], threading.Event()

    def sample():  # the group's unreclaimable memory, every 0.1 s while it runs
        while not done.wait(0.1):
            try:
                peak_anon[0] = max(peak_anon[0], box.anonymous_bytes())
            except (OSError, ValueError):
                pass

    sampler = threading.Thread(target=sample, daemon=True)
    try:
        start = time.monotonic()
        sampler.start()
        try:
            proc = subprocess.run(box.wrap([str(script)]), env=env, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            pytest.fail("run_autograder did not finish within Gradescope's 600 s")
        finally:
            done.set()
            sampler.join()
        figures = {"seconds": time.monotonic() - start, "peak_mib": box.peak_bytes() / MiB, "oom_kills": box.oom_kills(),
                   "peak_anon_mib": peak_anon[0] / MiB,
                   "leftover": box.leftover(), "stdout": proc.stdout[-3000:], "stderr": proc.stderr[-3000:]}
    finally:
        box.close()
        if boxes is not None:
            boxes.remove(box)
    figures["summary"] = (f"{submission.name}: {figures['seconds']:.1f} s, peak {figures['peak_mib']:.0f} MiB with page cache, "
                          f"{figures['peak_anon_mib']:.0f} MiB resident anonymous, oom kills {figures['oom_kills']}, "
                          f"processes left in the group {len(figures['leftover'])}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = root / "results" / "results.json"
    assert results.is_file(), "no results.json"
    return json.loads(results.read_text()), figures


def all_hanging(dest: Path) -> Path:
    """The reference with every graded function replaced by an endless loop."""
    build(dest)
    for module, functions in MODULE_FUNCTIONS.items():
        with open(dest / f"{module}.py", "a") as f:
            for fn in functions:
                f.write(f"\n\ndef {fn}(*args, **kwargs):\n    while True:\n        pass\n")
    return dest


# ---------------------------------------------------------------- run_autograder as is, in the background
def run_end_to_end(folder: Path) -> dict:
    """``run_autograder`` (no container) on the reference, the starter and the hostile case that
    fakes results.json, side by side, from a zip of their own (tests/test_dist.py reads them:
    fixture ``end_to_end``, tests/conftest.py): ``{name: results.json}``."""
    import build_dist
    from corpus import corpus

    zip_path = folder / "autograder.zip"  # its own copy: tests/test_dist.py rebuilds dist/
    build_dist.write_zip(zip_path, build_dist.autograder_files())
    hostile = next(p for p in corpus("hostile") if p.stem.startswith("h07"))
    submissions = {"complete": build(folder / "sub_complete"),
                   "starter": build(folder / "sub_starter", base=ROOT / "assignments" / "conv_gemm"),
                   "hostile": build(folder / "sub_hostile", hostile)}
    with ThreadPoolExecutor(max_workers=len(submissions)) as pool:  # each a process of its own
        runs = {name: pool.submit(run_autograder, zip_path, folder / name, sub) for name, sub in submissions.items()}
    return {name: run.result() for name, run in runs.items()}


# ---------------------------------------------------------------- the session's container runs, in the background
COMPLETE_METADATA = {"assignment": {"id": 4242}, "users": [{"id": 31, "name": "Ada", "email": "ada@example.com"}]}
HANGING_BUDGET = 150  # seconds: keeps the run short; the default budget nests below Gradescope's 600 s (tests)


def _complete(dest: Path) -> Path:
    """The reference and the solved notebook."""
    build(dest / "conv_gemm")
    shutil.copyfile(ROOT / "autograder" / "notebook" / "solved.ipynb", dest / "conv_gemm.ipynb")
    return dest


class Background:
    """The container runs of a session, started at once, one after the other in one thread.

    ``runs[name]`` is a Future of ``(results.json, figures)``; a run that cannot happen here (not
    root, no cgroup v1) holds pytest's Skipped, a failed one its error, raised again by ``result()``.
    """

    def __init__(self):
        import build_dist

        self.root = Path(tempfile.mkdtemp(prefix="conv-gemm-container-runs-"))
        self.boxes: list[DefaultContainer] = []  # the container running now, if any
        self.zip = self.root / "autograder.zip"  # a copy of its own: tests/test_dist.py rebuilds dist/
        build_dist.write_zip(self.zip, build_dist.autograder_files())
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="container-runs")
        self.runs: dict[str, Future] = {
            "complete": self.pool.submit(self._run, "complete", _complete, metadata=COMPLETE_METADATA),
            "hanging": self.pool.submit(self._run, "hanging", all_hanging, budget=HANGING_BUDGET),
        }

    def _run(self, name: str, make, **kwargs) -> tuple[dict, dict]:
        submission = make(self.root / name)
        return run_in_default_container(self.zip, self.root / f"root_{name}", submission, boxes=self.boxes, **kwargs)

    def close(self) -> None:
        """End what still runs (a session stopped early), then remove the folder."""
        for future in self.runs.values():
            future.cancel()
        for box in list(self.boxes):
            box.close()  # kills only the processes inside this test's own container
        self.pool.shutdown(wait=True)
        shutil.rmtree(self.root, ignore_errors=True)
