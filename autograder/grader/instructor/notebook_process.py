"""The trusted side of the notebook run: start the confined runner, read its reports, end it.

:func:`run_notebook` executes a notebook's code cells with ``notebook_runner.py`` (see there for
the confinement), each run a fresh fork of a notebook template (template_process.Template), and returns
the answer values of the run that got furthest. Every limit is
enforced here, whatever the runner's code does after the notebook patched it:

- a cell that runs past its wall-clock limit (``WALL_FACTOR`` times its CPU limit
  ``cell_seconds``, plus a grace) or a process that exits, crashes or
  writes garbage ends that run; the cell it was in is skipped and the notebook runs again, from
  the top, in a fresh process and folder (``max_runs`` in all), so one bad cell costs only what
  depends on it;
- the whole notebook has ``deadline`` (a ``time.monotonic()`` value) for all its runs;
- the runner's process group is killed whole after every run (the seccomp filter keeps every
  process it starts in that group);
- what the runner reports is capped (line and total bytes) and re-validated: only None, bool,
  int, float, str and lists of those, within the runner's own size limits, become values.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader.reaper import kill_group
from grader.sandbox import ChildFailure, field_switches, sandbox_environment, remove_tree
from grader.template_process import ForkedProcess, Template

MAX_LINE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 16 << 20
MAX_STR, MAX_ITEMS, MAX_DEPTH = 4096, 1024, 4  # as in notebook_runner.py
GRACE_SECONDS = 3.0
WALL_FACTOR = 3  # as in notebook_runner.py: a cell's wall-clock limit, in CPU limits
START_SECONDS = 30.0


@dataclass
class NotebookLimits:
    """Limits of one runner process (every figure appears in feedback when it is hit)."""

    cell_seconds: float = 30.0  # CPU seconds; wall clock WALL_FACTOR times that
    memory_bytes: int = 2 << 30
    file_bytes: int = 64 << 20
    max_runs: int = 3


@dataclass
class RunOutcome:
    """One or more runs of a notebook, summed up."""

    values: dict = field(default_factory=dict)  # name -> plain value, from the furthest run
    unsupported: dict = field(default_factory=dict)  # name -> why its value was not taken
    cells_done: int = 0
    cell_errors: dict = field(default_factory=dict)  # code cell index -> its exception, in that run
    finished: bool = False
    skipped: dict = field(default_factory=dict)  # code cell index -> why it was skipped
    failure: str | None = None  # why the last run did not finish
    confinement: dict = field(default_factory=dict)  # landlock ABI, seccomp, netns, uid


class ProtocolError(Exception):
    """The runner's channel carried something other than well-formed reports."""


def valid_value(value, depth: int = 0) -> bool:
    """Plain JSON data within the runner's caps (the parent's own check, never the runner's)."""
    t = type(value)
    if value is None or t in (bool, int, float):
        return t is not int or value.bit_length() <= 4096
    if t is str:
        return len(value) <= MAX_STR
    if t is list:
        return depth < MAX_DEPTH and len(value) <= MAX_ITEMS and all(valid_value(v, depth + 1) for v in value)
    return False


def _parse(line: bytes, names: set[str], cell_count: int) -> dict:
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"unreadable report ({type(exc).__name__})") from None
    if type(message) is not dict or message.get("event") not in ("ready", "start", "end", "done"):
        raise ProtocolError("a report that is not one of the runner's")
    if message["event"] in ("start", "end") and not (type(message.get("cell")) is int and 0 <= message["cell"] < cell_count):
        raise ProtocolError("a cell report without a valid cell number")
    if message["event"] == "end" and "values" in message:
        values, unsupported = message.get("values"), message.get("unsupported")
        if type(values) is not dict or type(unsupported) is not dict:
            raise ProtocolError("values that are not a JSON object")
        clean = {k: v for k, v in values.items() if k in names and valid_value(v)}
        reasons = {k: str(v)[:200] for k, v in unsupported.items() if k in names}
        reasons.update({k: "a value the grader cannot read" for k in values if k in names and k not in clean})
        message["values"], message["unsupported"] = clean, reasons
    return message


def prepare_run(scratch: Path, attempt: int, package_dir: Path | None, notebook_text: str,
                user: tuple[int, int] | None) -> tuple[Path, Path]:
    """``scratch/run-N/``: its job file's folder, and ``work/`` (the notebook, a copy of the
    package's top-level .py files; the run's only writable folder)."""
    root = scratch / f"run-{attempt}"
    work = root / "work"
    for d in (root, work):
        d.mkdir(parents=True)
        os.chmod(d, 0o755)
    (work / "conv_gemm.ipynb").write_text(notebook_text, encoding="utf-8")
    if package_dir is not None and Path(package_dir).is_dir():
        (work / "conv_gemm").mkdir()
        for p in sorted(Path(package_dir).glob("*.py")):
            if p.is_file() and not p.is_symlink() and p.stat().st_size <= 1 << 20:
                shutil.copyfile(p, work / "conv_gemm" / p.name)
    if user is not None:
        for p in [work, *work.rglob("*")]:
            os.chown(p, user[0], user[1])
    return root, work


def _env(work: Path) -> dict:
    return {**sandbox_environment(work), "MPLCONFIGDIR": str(work / ".matplotlib"), **field_switches()}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def run_once(cells: list, names: list[str], root: Path, work: Path, *, read_paths: list[str],
             user, limits: NotebookLimits, deadline: float, template: Template) -> tuple[dict, int | None, str | None]:
    """One run over ``cells``, forked by ``template``; (report, stuck cell or None, failure or None).

    ``report``: ``values``, ``unsupported``, ``cells_done``, ``finished``, ``confinement``.
    """
    report = {"values": {}, "unsupported": {}, "cells_done": 0, "cell_errors": {}, "finished": False, "confinement": {}}
    cpu = int(max(10, deadline - time.monotonic())) + 5
    job = {"cells": cells, "names": names, "workdir": str(work), "read_paths": list(read_paths), "env": _env(work),
           "rlimits": [limits.memory_bytes, cpu, limits.file_bytes], "user": list(user) if user else None,
           "cell_seconds": limits.cell_seconds}
    job_path = root / "job.json"
    job_path.write_text(json.dumps(job), encoding="utf-8")
    os.chmod(job_path, 0o600)  # read by the run before it confines itself
    read_fd, write_fd = os.pipe()
    try:
        proc = ForkedProcess(template, *template.fork((write_fd,), job=str(job_path)))
    except ChildFailure as failure:
        os.close(read_fd)
        return report, None, f"the notebook's process did not start ({failure.message})"
    finally:
        os.close(write_fd)
    current, since, failure = None, time.monotonic(), None
    buffer, total, name_set = bytearray(), 0, set(names)
    try:
        os.set_blocking(read_fd, False)
        while True:
            now = time.monotonic()
            if now >= deadline:
                failure = "the notebook did not finish in the time it has"
                break
            # from one report to the next: a cell, or the runner's own work between cells
            wall = limits.cell_seconds * WALL_FACTOR
            limit = since + (wall + GRACE_SECONDS if report["confinement"] else START_SECONDS)
            if now >= limit:
                failure = (f"ran longer than {wall:g} s" if current is not None
                           else "the notebook's process stopped answering" if report["confinement"]
                           else "the notebook's process did not start")
                break
            if not select.select([read_fd], [], [], min(limit, deadline) - now)[0]:
                continue
            try:
                chunk = os.read(read_fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                try:
                    code = proc.wait(timeout=GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    failure = "the notebook closed the grader's channel"
                    break
                failure = (f"the process was killed by signal {-code} ({_signal_name(-code)})" if code < 0
                           else f"the process exited with code {code} (os._exit, or a crash?)")
                break
            total += len(chunk)
            buffer += chunk
            if total > MAX_TOTAL_BYTES or (b"\n" not in buffer and len(buffer) > MAX_LINE_BYTES):
                raise ProtocolError("too much data on the grader's channel")
            *lines, rest = bytes(buffer).split(b"\n")
            buffer = bytearray(rest)
            for line in lines:
                message = _parse(line, name_set, len(cells))
                event, since = message["event"], time.monotonic()
                if event == "ready":
                    report["confinement"] = {k: message.get(k) for k in ("landlock", "seccomp", "netns", "uid")}
                elif event == "start":
                    current = message["cell"]
                elif event == "end":
                    current = None
                    report["cells_done"] += 1
                    if message.get("ok") is not True:
                        report["cell_errors"][message["cell"]] = str(message.get("error"))[:300]
                    if "values" in message:
                        report["values"], report["unsupported"] = message["values"], message["unsupported"]
                else:
                    report["finished"] = True
                    return report, None, None
    except ProtocolError as exc:
        failure = f"the grader's channel was tampered with ({exc})"
    finally:
        kill_group(proc)
        proc.release()
        os.close(read_fd)
    return report, current, failure


def run_notebook(cells: list, names: list[str], scratch: Path, *, package_dir, notebook_text: str,
                 read_paths: list[str], user, limits: NotebookLimits, deadline: float, template: Template) -> RunOutcome:
    """Run the cells, skipping and rerunning past a cell that stops the process (see module doc);
    every run is forked by ``template`` (a notebook template)."""
    outcome = RunOutcome()
    best_done = -1
    for attempt in range(limits.max_runs):
        if deadline - time.monotonic() < 5:
            outcome.failure = outcome.failure or "no time left to run the notebook"
            break
        root, work = prepare_run(scratch, attempt, package_dir, notebook_text, user)
        todo = [None if i in outcome.skipped else c for i, c in enumerate(cells)]
        report, stuck, failure = run_once(todo, names, root, work, read_paths=read_paths, user=user,
                                          limits=limits, deadline=deadline, template=template)
        remove_tree(root)
        outcome.confinement = report["confinement"] or outcome.confinement
        if report["cells_done"] >= best_done:
            best_done = report["cells_done"]
            outcome.values, outcome.unsupported = report["values"], report["unsupported"]
            outcome.cells_done, outcome.cell_errors = report["cells_done"], report["cell_errors"]
        outcome.finished, outcome.failure = report["finished"], failure
        if report["finished"] or stuck is None or deadline - time.monotonic() < 5:
            break
        outcome.skipped[stuck] = failure
    return outcome
