"""bench/ref_ratios.py tells a busy machine from a slow solution (bench/_busy.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from _busy import OtherWork, verdict


def test_a_miss_fails_only_on_a_quiet_machine():
    code, line = verdict(["forward"], other_cores=0.05, max_other_cores=0.25)
    assert code == 1 and "MISSED on a quiet machine: forward" in line
    code, line = verdict(["forward", "winograd"], other_cores=1.3, max_other_cores=0.25)
    assert code == 0 and line.startswith("WARNING") and "NOT COMPARABLE" in line and "1.30 cores" in line
    assert verdict([], other_cores=0.05, max_other_cores=0.25) == (0, "all targets met on a quiet machine")
    code, line = verdict([], other_cores=2.0, max_other_cores=0.25)
    assert code == 0 and "NOT COMPARABLE" in line  # met under load is not a figure to quote either
    code, line = verdict(["backward"], other_cores=None, max_other_cores=0.25)
    assert code == 1 and "unknown" in line


def test_other_work_counts_a_busy_child_and_not_this_process():
    if OtherWork().cores() is None:
        pytest.skip("neither /proc/stat nor a load average here")
    work = OtherWork()
    t0 = time.perf_counter()
    busy = subprocess.Popen([sys.executable, "-c", "import time\nt = time.process_time() + 0.6\nwhile time.process_time() < t: pass"])
    # this child's own CPU time (RUSAGE_CHILDREN would add any other child this process reaps
    # meanwhile: the session's background gradings end worker processes)
    _, status, usage = os.wait4(busy.pid, 0)
    busy.returncode = os.waitstatus_to_exitcode(status)
    assert busy.returncode == 0
    end = time.process_time() + 0.3
    while time.process_time() < end:  # this process's own work is not other work
        pass
    cores, wall = work.cores(), time.perf_counter() - t0
    child = usage.ru_utime + usage.ru_stime
    assert child >= 0.6
    # at least the child's CPU time (clock ticks round it by up to 0.01 s per core); anything more is
    # other processes on this shared machine, which this test cannot bound
    assert cores * wall >= child - 0.1, (cores, wall, child)
