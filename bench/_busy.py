"""Tell a busy machine from a slow program: how much CPU other processes used during a measurement.

No NumPy or torch import here, so a test can use it without the thread limits of the benchmarks.
"""
from __future__ import annotations

import os
import time

MAX_OTHER_CORES = 0.25  # other work, in cores busy on average over the run, above which nothing is judged


def machine_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has spent (every core; steal time included), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class OtherWork:
    """How many cores other processes kept busy, on average, between start and :meth:`cores`."""

    def __init__(self):
        self.machine, self.own, self.wall = machine_cpu_seconds(), time.process_time(), time.perf_counter()

    def cores(self) -> float | None:
        machine = machine_cpu_seconds()
        if machine is None or self.machine is None:  # no /proc/stat: the 1-minute load, less this script
            try:
                return max(0.0, os.getloadavg()[0] - 1)
            except OSError:
                return None
        other = (machine - self.machine) - (time.process_time() - self.own)
        return max(0.0, other) / max(time.perf_counter() - self.wall, 1e-9)


def is_busy(other_cores: float | None, max_other_cores: float) -> bool:
    """Too much other work for the figures to compare (unknown other work is not busy: judged, and said)."""
    return other_cores is not None and other_cores > max_other_cores


def verdict(missed: list[str], other_cores: float | None, max_other_cores: float) -> tuple[int, str]:
    """Exit status and closing line: a miss fails only where the machine was quiet enough to compare."""
    if is_busy(other_cores, max_other_cores):
        return 0, (f"WARNING: other work kept {other_cores:.2f} cores busy on average (more than {max_other_cores:.2f}): "
                   "these figures are NOT COMPARABLE and no target is judged; run `make bench-ref` again on a quiet machine")
    where = "on a quiet machine" if other_cores is not None else "(other work on the machine unknown)"
    if missed:
        return 1, f"targets MISSED {where}: {', '.join(missed)}"
    return 0, f"all targets met {where}"
