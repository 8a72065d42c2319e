"""Grading speed: one package, one package with its notebook, the sample folder with 1 and 2 workers.

    .venv/bin/python bench/grading_speed.py                    # every row, then every row under half a CPU
    .venv/bin/python bench/grading_speed.py --rows package     # some rows only (package, notebook, folder1, folder2)
    .venv/bin/python bench/grading_speed.py --no-cgroup        # skip the half-CPU rows

Rows (each in a fresh Python process: this script again with ``--measure ROW``, so that the
figures of one row are its own):

  package   the complete sample (``make samples``), every question but the notebook, public and hidden
  notebook  the same submission with its notebook too (Otter), i.e. the whole grade
  folder1   the sample folder (4 submissions) with 1 worker process, as ``make grade`` does it
  folder2   the same with 2 worker processes

Figures per row:

  wall      seconds around the grading call (the measuring process's own start and imports excluded)
  CPU       user + system seconds of that process and of every child it waited for (the question
            children, the notebook kernel, the pool's workers): ``getrusage`` SELF + CHILDREN
  peak RSS  the largest resident set of ONE process of the tree (``ru_maxrss`` of SELF and CHILDREN),
            not their sum
  tree      under a memory cgroup only: the cgroup's ``memory.max_usage_in_bytes``, the peak of the
            whole tree together (page cache included)
  lanes     how many questions each grading process grades at once (machine.question_lanes: two
            with two CPUs to itself, one under half a CPU or when the workers share the CPUs)

Half a CPU: the same rows in a cgroup (v1) with ``cpu.cfs_quota_us=50000`` per 100000 us period and
``memory.limit_in_bytes`` = 768 MiB, about what a Gradescope autograder container gets. The cgroups
are created below this process's own cgroups and removed afterwards; where cgroups v1 are not
mounted or not writable the rows are skipped and the reason printed. Nothing is asserted: the
machine may be shared, so compare the figures of one run with each other.

Results are printed and written to ``bench/results/grading_speed.json`` (``--out``).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "autograder" / "samples"
CGROUP_ROOT = Path("/sys/fs/cgroup")
ROWS = {
    "package": "one package, no notebook",
    "notebook": "one package + notebook",
    "folder1": "sample folder, 1 worker",
    "folder2": "sample folder, 2 workers",
}
HALF_CPU = {"cfs_quota_us": 50_000, "cfs_period_us": 100_000, "memory_bytes": 768 << 20}


# ---------------------------------------------------------------- one row, in its own process

def measure(row: str, samples: Path) -> dict:
    """Grade what ``row`` names in this process; return its figures (run by ``--measure ROW``)."""
    sys.path.insert(0, str(ROOT / "autograder"))
    from grader.engine import DEFAULT_SEED, grade_submission
    from grader.instructor.gradebook import find_submissions, grade_folder
    from grader.machine import question_lanes
    from grader.questions import QUESTION_IDS

    before = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    if row in ("package", "notebook"):
        questions = None if row == "notebook" else [q for q in QUESTION_IDS if q != "notebook"]
        result = grade_submission(samples / "complete", questions=questions)
        score = f"{result.total:g} / {result.max_total:g}"
        lanes = question_lanes()
    else:
        with tempfile.TemporaryDirectory() as out:
            results = grade_folder(samples, Path(out), seed=DEFAULT_SEED, workers=int(row[-1]), progress=False)
        errors = [r.student for r in results if r.error]
        score = f"{len(find_submissions(samples))} graded" + (f", failed: {', '.join(errors)}" if errors else "")
        lanes = question_lanes(int(row[-1]))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # every child waited for, all of it in the call
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime) + children.ru_utime + children.ru_stime
    return {
        "row": row,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        # ru_maxrss is in KiB on Linux
        "peak_rss_self_mib": round(after.ru_maxrss / 1024, 1),
        "peak_rss_children_mib": round(children.ru_maxrss / 1024, 1),
        "score": score,
        "lanes": lanes,  # questions graded at once by each grading process (machine.question_lanes)
    }


# ---------------------------------------------------------------- cgroups v1

def _own_cgroup(controller: str) -> str:
    """This process's path in the v1 hierarchy of ``controller`` (from /proc/self/cgroup)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path
    raise OSError(f"no {controller} controller in /proc/self/cgroup")


class HalfCpuCgroup:
    """A v1 cpu + memory cgroup pair with half a CPU and 768 MiB, below this process's own cgroups.

    ``unavailable()`` says why it cannot be used here (or None); ``wrap(argv)`` runs a command
    inside it; ``peak()`` reads what the memory cgroup saw; ``remove()`` deletes both.
    """

    def __init__(self):
        self.name = f"conv-gemm-grading-speed-{os.getpid()}"
        self.cpu = self.memory = None
        self.throttled_ns = 0  # cpu.stat's throttled_time is cumulative: each row reports its own part

    def unavailable(self) -> str | None:
        if platform.system() != "Linux":
            return f"not Linux ({platform.system()})"
        for controller, knob in (("cpu", "cpu.cfs_quota_us"), ("memory", "memory.limit_in_bytes")):
            if not (CGROUP_ROOT / controller / knob).exists():
                unified = (CGROUP_ROOT / "cgroup.controllers").exists()
                return (f"no cgroup v1 {controller} controller at {CGROUP_ROOT / controller}"
                        + (" (this machine has the unified cgroup v2 layout)" if unified else ""))
        try:
            self._create()
        except OSError as exc:
            self.remove()
            return f"cgroups v1 are not writable here ({exc.strerror or exc}: {exc.filename or ''})"
        return None

    def _create(self):
        self.cpu = CGROUP_ROOT / "cpu" / _own_cgroup("cpu").lstrip("/") / self.name
        self.memory = CGROUP_ROOT / "memory" / _own_cgroup("memory").lstrip("/") / self.name
        self.cpu.mkdir()
        self.memory.mkdir()
        (self.cpu / "cpu.cfs_period_us").write_text(str(HALF_CPU["cfs_period_us"]))
        (self.cpu / "cpu.cfs_quota_us").write_text(str(HALF_CPU["cfs_quota_us"]))
        (self.memory / "memory.limit_in_bytes").write_text(str(HALF_CPU["memory_bytes"]))
        memsw = self.memory / "memory.memsw.limit_in_bytes"
        if memsw.exists():  # no swapping past the limit either (where swap accounting is on)
            memsw.write_text(str(HALF_CPU["memory_bytes"]))

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run by a shell that first moves itself into both cgroups (children inherit them)."""
        script = 'echo $$ > "$1/cgroup.procs" && echo $$ > "$2/cgroup.procs" && shift 2 && exec "$@"'
        return ["sh", "-c", script, "sh", str(self.cpu), str(self.memory), *argv]

    def peak(self) -> dict:
        read = lambda name: int((self.memory / name).read_text().split()[0])  # noqa: E731
        oom_kills = next((int(line.split()[1]) for line in (self.memory / "memory.oom_control").read_text().splitlines()
                          if line.startswith("oom_kill ")), None)
        throttled = int(dict(line.split() for line in (self.cpu / "cpu.stat").read_text().splitlines())["throttled_time"])
        throttled, self.throttled_ns = throttled - self.throttled_ns, throttled
        stats = {"tree_peak_mib": round(read("memory.max_usage_in_bytes") / 2**20, 1),
                 "memory_limit_hits": read("memory.failcnt"), "oom_kills": oom_kills,
                 "cpu_throttled_s": round(throttled / 1e9, 2)}
        (self.memory / "memory.max_usage_in_bytes").write_text("0")  # reset between rows
        return stats

    def remove(self):
        """Delete both cgroups. Whatever still runs in them (a row cut short: its grader children,
        pool workers) was started by this script, inside this cgroup: it is killed first."""
        for path in (self.cpu, self.memory):
            if path is None or not path.exists():
                continue
            for _ in range(50):
                for pid in (path / "cgroup.procs").read_text().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:
                    path.rmdir()
                    break
                except OSError:  # the killed processes may take a moment to leave
                    time.sleep(0.1)


# ---------------------------------------------------------------- the table

def run_row(row: str, samples: Path, cgroup: HalfCpuCgroup | None) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--measure", row, "--samples", str(samples)]
    if cgroup is not None:
        argv = cgroup.wrap(argv)
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        figures = {"row": row, "error": f"exit {proc.returncode}: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}"}
    else:
        figures = json.loads(lines[-1])
    if cgroup is not None:
        figures.update(cgroup.peak())
    return figures


def row_text(limit: str, f: dict) -> str:
    label = f"{ROWS[f['row']]:26s} {limit:22s}"
    if "error" in f:
        return f"{label} FAILED: {f['error']}" + (f" (oom kills {f['oom_kills']})" if f.get("oom_kills") else "")
    tree = f"{f['tree_peak_mib']:7.0f} MiB" if "tree_peak_mib" in f else f"{'-':>11s}"
    peak = max(f["peak_rss_self_mib"], f["peak_rss_children_mib"])
    text = f"{label} {f['wall_s']:7.1f} s {f['cpu_s']:7.1f} s {peak:7.0f} MiB {tree} {f['lanes']:6d}   {f['score']}"
    if f.get("memory_limit_hits") or f.get("oom_kills"):
        text += f"  (memory limit hit {f['memory_limit_hits']} times, {f['oom_kills']} OOM kills)"
    return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS), help="rows to run (default: all)")
    parser.add_argument("--no-cgroup", action="store_true", help="skip the half-CPU rows")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder for grading_speed.json")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="the sample folder, with complete/ (default: what make samples builds)")
    parser.add_argument("--measure", choices=list(ROWS), help=argparse.SUPPRESS)  # internal: one row, JSON on stdout
    opts = parser.parse_args(argv)
    if opts.measure:
        print(json.dumps(measure(opts.measure, opts.samples.resolve())))
        return 0
    samples = opts.samples.resolve()
    if not (samples / "complete").is_dir():
        print("no samples: run `make samples` first", file=sys.stderr)
        return 2

    load = os.getloadavg()[0]
    print(f"grading speed on {os.cpu_count()} core(s), load average {load:.2f} at start; each row in a fresh process")
    header = f"{'row':26s} {'limit':22s} {'wall':>9s} {'CPU':>9s} {'peak RSS':>11s} {'tree peak':>11s} {'lanes':>6s}   result"
    print(header)
    print("-" * len(header))
    report = {"cpu_count": os.cpu_count(), "load_at_start": round(load, 2), "rows": [], "half_cpu": HALF_CPU,
              "half_cpu_rows": [], "half_cpu_skipped": None}
    for row in opts.rows:
        figures = run_row(row, samples, None)
        report["rows"].append(figures)
        print(row_text("none", figures), flush=True)
    if opts.no_cgroup:
        report["half_cpu_skipped"] = "--no-cgroup"
    else:
        cgroup = HalfCpuCgroup()
        # a SIGTERM (timeout, kill) unwinds through the finally below, so the cgroups are removed
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        reason = cgroup.unavailable()
        if reason:
            report["half_cpu_skipped"] = reason
            print(f"{'half a CPU, 768 MiB':49s} skipped: {reason}")
        else:
            try:
                for row in opts.rows:
                    figures = run_row(row, samples, cgroup)
                    report["half_cpu_rows"].append(figures)
                    print(row_text("0.5 CPU, 768 MiB", figures), flush=True)
            finally:
                cgroup.remove()
    print("-" * len(header))
    print("wall: the grading call; CPU: user+system of the process and its children; peak RSS: largest single "
          "process; tree peak: the memory cgroup's peak (half-CPU rows only); lanes: questions graded at once per process")
    print(f"load average {os.getloadavg()[0]:.2f} at end (other work on the machine slows every row)")
    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "grading_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
