"""What a confined process can no longer reach, on any kernel: other processes (signals, tracing,
memory), shared memory, and memory beyond its allowance whatever torch build was imported.

Each body runs in a subprocess of this test, first unconfined (the control: the same calls reach
their targets, so the check can fail), then under ``seccomp_filter.deny_sockets(isolate=True)``
or ``limits.apply``. The only process targeted is this test process (our own), with signal 0,
which delivers nothing.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

AUTOGRADER = ROOT / "autograder"

REACH = r'''
import ctypes, errno, json, mmap, os, sys
sys.path.insert(0, sys.argv[1])
from grader.runtime import seccomp_filter
target = int(sys.argv[2])
if sys.argv[3] == "confined":
    assert seccomp_filter.deny_sockets(keep_process_group=True, isolate=True)
libc = ctypes.CDLL(None, use_errno=True)
SYS = {"ptrace": 101, "process_vm_readv": 310, "pidfd_open": 434, "pidfd_send_signal": 424, "shmget": 29, "kcmp": 312}

class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

def raw(name, *args):
    r = libc.syscall(SYS[name], *args)
    return "refused" if r < 0 and ctypes.get_errno() == errno.EPERM else "reached"

def call(fn):
    try:
        fn()
        return "reached"
    except PermissionError:
        return "refused"
    except OSError as exc:  # ESRCH and the like: the call itself went through
        return "reached"

def read_target():
    buf = ctypes.create_string_buffer(8)
    local, remote = iovec(ctypes.addressof(buf), 8), iovec(0x10000, 8)  # any address: EFAULT still means "reached"
    return raw("process_vm_readv", target, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)

out = {
    "kill other": call(lambda: os.kill(target, 0)),
    "kill every process": call(lambda: os.kill(-1, 0)),
    "killpg other": call(lambda: os.killpg(os.getpgid(target), 0)),
    "ptrace other": raw("ptrace", 3, target, 0, 0),  # PTRACE_PEEKUSER: ESRCH unless attached
    "read other's memory": read_target(),
    "pidfd_open other": raw("pidfd_open", target, 0),
    "renice the user": call(lambda: os.setpriority(os.PRIO_USER, os.getuid(), os.getpriority(os.PRIO_USER, os.getuid()))),
    "re-limit other": call(lambda: __import__("resource").prlimit(target, __import__("resource").RLIMIT_CORE)),
    "pin other": call(lambda: os.sched_setaffinity(target, os.sched_getaffinity(0))),
    "memfd_create": call(lambda: os.memfd_create("hog")),
    "shared anonymous mapping": call(lambda: mmap.mmap(-1, 1 << 20)),
    "System V segment": raw("shmget", 0, 1 << 20, 0o1600),  # IPC_PRIVATE | IPC_CREAT
    # what honest code does must still work
    "kill own group": call(lambda: os.kill(0, 0)),
    "signal own thread": call(lambda: __import__("signal").pthread_kill(__import__("threading").get_ident(), 0)),
    "private mapping": call(lambda: mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)),
    "renice itself": call(lambda: os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0))),
}
print(json.dumps(out))
'''

OWN = ("kill own group", "signal own thread", "private mapping", "renice itself")


def _reach(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", REACH, str(AUTOGRADER), str(os.getpid()), mode],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_isolated_process_reaches_no_other_process_and_no_shared_memory():
    control, confined = _reach("control"), _reach("confined")
    others = [k for k in control if k not in OWN]
    # unconfined, each call goes through (as root everything does; otherwise the ones a user may make)
    if os.geteuid() == 0:
        assert all(control[k] == "reached" for k in others), control
    for k in others:
        assert confined[k] == "refused", (k, confined)
    for k in OWN:
        assert control[k] == confined[k] == "reached", (k, confined)


MEMORY = r'''
import json, mmap, os, resource, sys
sys.path.insert(0, sys.argv[1])
import numpy
reserved = mmap.mmap(-1, 8 << 30, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=0)  # as a CUDA build
if sys.argv[2] == "measured":
    from grader.runtime import limits
    applied = limits.apply(2 << 30, 60, 64 << 20, gpu=False)
else:  # a fixed address-space limit, as before: the reservation alone is over it
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
out = {}
for name, size in (("1 GiB", 1 << 30), ("16 GiB", 16 << 30)):
    try:
        block = numpy.ones(size // 8)
        out[name] = "allocated"
        del block
    except MemoryError:
        out[name] = "MemoryError"
out["oom_score_adj"] = open("/proc/self/oom_score_adj").read().strip()
print(json.dumps(out))
'''


@pytest.mark.parametrize("mode, expected", [
    ("fixed", {"1 GiB": "MemoryError", "16 GiB": "MemoryError"}),  # the failure a CUDA build caused
    ("measured", {"1 GiB": "allocated", "16 GiB": "MemoryError", "oom_score_adj": "1000"}),
])
def test_memory_limit_is_what_the_process_uses_plus_the_allowance(mode, expected):
    proc = subprocess.run([sys.executable, "-c", MEMORY, str(AUTOGRADER), mode], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {k: got[k] for k in expected} == expected


TASKS = r'''
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from grader.runtime import limits
if sys.argv[2] == "limited":
    limits.apply(2 << 30, 60, 64 << 20, gpu=False)
limits.demote((65534, 65534))  # root is exempt from the task limit: as the sandbox user
started = []
try:
    while len(started) < 600:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        started.append(pid)
except OSError:
    pass
for pid in started:  # our own children only
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({"started": len(started)}))
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become the sandbox user")
def test_a_fork_bomb_stops_at_the_task_allowance():
    from grader.runtime.limits import TASK_ALLOWANCE

    def started(mode):
        proc = subprocess.run([sys.executable, "-c", TASKS, str(AUTOGRADER), mode], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])["started"]

    assert started("control") == 600  # unlimited, the loop runs to its own end
    machine_tasks = int(open("/proc/loadavg").read().split()[3].split("/")[1])
    assert started("limited") <= min(machine_tasks + TASK_ALLOWANCE + 50, 599)  # 50: tasks that came and went meanwhile
