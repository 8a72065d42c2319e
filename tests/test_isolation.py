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
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT

AUTOGRADER = ROOT / "autograder"

REACH = r'''
import ctypes, errno, fcntl, json, mmap, os, sys
sys.path.insert(0, sys.argv[1])
from grader.runtime import seccomp_filter
target = int(sys.argv[2])
if sys.argv[3] == "confined":
    assert seccomp_filter.deny_sockets(keep_process_group=True, isolate=True)
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
QUEUE = f"/conv-gemm-test-{os.getpid()}".encode()
SYS = {"ptrace": 101, "process_vm_readv": 310, "pidfd_open": 434, "pidfd_send_signal": 424, "kcmp": 312}

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

def sysv(get, remove, *size):
    """Create a private System V object (IPC_PRIVATE | IPC_CREAT) and remove it at once: it would
    outlive this process, owned by its user, in no process's memory."""
    ident = getattr(libc, get)(0, *size, 0o1600)
    if ident < 0:
        return "refused" if ctypes.get_errno() == errno.EPERM else "reached"
    if remove == "semctl":
        libc.semctl(ident, 0, 0)  # semnum 0, IPC_RMID
    else:
        getattr(libc, remove)(ident, 0, None)  # IPC_RMID
    return "reached"

def kept_for_the_user(create, remove, *args):
    """A POSIX message queue or a key in the user's keyring, removed at once: both would outlive
    this process, readable by the next process of the same user."""
    ident = libc.syscall(create, *args)
    if ident < 0:
        return "refused" if ctypes.get_errno() == errno.EPERM else "reached"
    remove(ident)
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
    "System V segment": sysv("shmget", "shmctl", 1 << 20),
    "System V message queue": sysv("msgget", "msgctl"),  # 16 KiB of kernel memory each, 32000 of them
    "System V semaphore set": sysv("semget", "semctl", 32000),  # 2 MiB of kernel memory each, 32000 of them
    "POSIX message queue": kept_for_the_user(240, lambda fd: (os.close(fd), libc.syscall(241, QUEUE)), QUEUE, os.O_CREAT | os.O_RDWR, 0o600, None),
    "key in the user's keyring": kept_for_the_user(248, lambda key: libc.syscall(250, 21, key),  # KEYCTL_INVALIDATE
                                                   b"user", b"conv-gemm-test", b"x" * 16, 16, ctypes.c_int(-4)),  # KEY_SPEC_USER_KEYRING
    # a pipe whose owner is another process: each byte written sends that process F_SETSIG's signal
    "SIGIO owner other": call(lambda: fcntl.fcntl(os.pipe()[0], fcntl.F_SETOWN, target)),
    "SIGIO owner other group": call(lambda: fcntl.fcntl(os.pipe()[0], fcntl.F_SETOWN, -os.getpgid(target))),
    # what honest code does must still work
    "kill own group": call(lambda: os.kill(0, 0)),
    "signal own thread": call(lambda: __import__("signal").pthread_kill(__import__("threading").get_ident(), 0)),
    "private mapping": call(lambda: mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)),
    "renice itself": call(lambda: os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0))),
}
print(json.dumps(out))
'''

OWN = ("kill own group", "signal own thread", "private mapping", "renice itself")
SIGIO_OWNER = ("SIGIO owner other", "SIGIO owner other group")
"""Not refused yet: fcntl F_SETOWN (and F_SETOWN_EX) name another process as a pipe's owner, and
F_SETSIG 9 with O_ASYNC makes every byte written a SIGKILL to it (tests/field/sigio_thrower.py)."""


def _reach(mode: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", REACH, str(AUTOGRADER), str(os.getpid()), mode],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_isolated_process_reaches_no_other_process_and_no_shared_memory():
    control, confined = _reach("control"), _reach("confined")
    others = [k for k in control if k not in OWN + SIGIO_OWNER]
    # unconfined, each call goes through (as root everything does; otherwise the ones a user may make)
    if os.geteuid() == 0:
        assert all(control[k] == "reached" for k in others), control
    for k in others:
        assert confined[k] == "refused", (k, confined)
    for k in OWN:
        assert control[k] == confined[k] == "reached", (k, confined)


def test_isolated_process_cannot_make_another_process_a_pipes_owner():
    control, confined = _reach("control"), _reach("confined")
    for k in SIGIO_OWNER:
        assert control[k] == "reached", control
    for k in SIGIO_OWNER:
        assert confined[k] == "refused", (k, confined)


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


@pytest.mark.exclusive  # its 600 tasks of the sandbox user would count against other gradings' allowance
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


GROWN = r'''
import ctypes, json, sys
sys.path.insert(0, sys.argv[1])
import numpy
from grader.runtime import limits, seccomp_filter
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = libc.mremap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_int]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
SIZE = 512 << 20  # twice the allowance, every byte written
reserved = libc.mmap(None, 2 * SIZE, 0, 0x02 | 0x20 | 0x4000, -1, 0)  # PROT_NONE, as a CUDA build of torch at import
limits.apply(256 << 20, 60, 64 << 20, gpu=sys.argv[2] == "gpu")  # with a GPU: RLIMIT_DATA only
assert seccomp_filter.deny_sockets(keep_process_group=True, isolate=True)  # as the child: limits, then the filter
if sys.argv[2] == "cuda build":  # no GPU (RLIMIT_AS too), but the reservation, once unmapped, is address space to use
    libc.munmap(reserved, 2 * SIZE)

def use(address):
    if address in (None, ctypes.c_void_p(-1).value):
        return "refused"
    ctypes.memset(address, 1, SIZE)
    return "used"

out = {}
try:
    block = numpy.ones(SIZE // 8)
    out["numpy"] = "used"
except MemoryError:
    out["numpy"] = "refused"
# a stack mapping (VM_GROWSDOWN) is not data: RLIMIT_DATA does not count it, RLIMIT_AS does
out["MAP_GROWSDOWN mapping"] = use(libc.mmap(None, SIZE, 3, 0x02 | 0x20 | 0x100, -1, 0))  # private, anonymous
stack = next(int(l.split("-")[0], 16) for l in open("/proc/self/maps") if l.rstrip().endswith("[stack]"))
out["[stack]'s lowest page grown by mremap"] = use(libc.mremap(stack, 4096, SIZE, 1))  # MREMAP_MAYMOVE
print(json.dumps(out))
'''


# stack mappings are not data (RLIMIT_DATA), and only RLIMIT_AS counts them: none with a GPU, and without one the
# CUDA build's reservation, once unmapped, is room under it; the filter refuses MAP_GROWSDOWN and mremap
@pytest.mark.parametrize("machine", ["cpu", "gpu", "cuda build"])
def test_no_private_memory_beyond_the_allowance_on_any_machine(machine):
    proc = subprocess.run([sys.executable, "-c", GROWN, str(AUTOGRADER), machine], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got == dict.fromkeys(got, "refused")


METADATA = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
from grader.runtime import landlock, seccomp_filter
assert seccomp_filter.preload()  # as the template does, before any Landlock
target, readable, work = sys.argv[2:5]
reads = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)), "/usr", "/lib", "/lib64", "/etc",
         sys.argv[1], os.path.dirname(readable), *sys.path}
abi = landlock.restrict(sorted(p for p in reads if p and os.path.exists(p)), [work])
assert abi >= 1 and seccomp_filter.deny_sockets(keep_process_group=True, isolate=True)

def call(fn):
    try:
        fn()
        return "reached"
    except PermissionError:
        return "refused"

def fchmod(path):  # a file it may read (the Python installation, the staged package)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fchmod(fd, 0)
    finally:
        os.close(fd)

out = {"landlock": abi,
       "write": call(lambda: open(target, "a").close()),  # the control: Landlock holds
       "truncate": call(lambda: os.truncate(target, 0)),
       "chmod": call(lambda: os.chmod(target, 0)),
       "utime": call(lambda: os.utime(target, (0, 0))),
       "fchmod of a readable file": call(lambda: fchmod(readable))}
print(json.dumps(out))
'''


@pytest.mark.parametrize("abi_max", ["2", ""], ids=["landlock ABI 2", "landlock as the kernel has it"])
def test_confined_process_changes_no_file_of_its_user_outside_its_folder(abi_max, tmp_path):
    from grader.runtime import landlock

    if landlock.abi_version() < 1:
        pytest.skip("needs Landlock")
    grader_file, readable, work = tmp_path / "grades.csv", tmp_path / "venv" / "numpy.py", tmp_path / "work"
    readable.parent.mkdir()
    work.mkdir()
    for path in (grader_file, readable):
        path.write_text("the grader's\n")
    env = {**os.environ, "GRADER_LANDLOCK_ABI_MAX": abi_max}
    proc = subprocess.run([sys.executable, "-c", METADATA, str(AUTOGRADER), str(grader_file), str(readable), str(work)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got.pop("write") == "refused"
    assert got.pop("landlock") >= 1
    assert got == dict.fromkeys(got, "refused"), got
    assert grader_file.read_text() == "the grader's\n"


FILES = r'''
import json, os, sys
sys.path.insert(0, sys.argv[1])
from grader.runtime import limits
limits.apply(256 << 20, 60, 64 << 20, gpu=False)  # 64 MiB a file, as the grader's Limits
if sys.argv[3] == "own folder":
    assert limits.own_folder(sys.argv[2], 64 << 20, None)  # as the child does under root
os.chdir(sys.argv[2])
chunk, written = b"x" * (64 << 20), 0
for i in range(8):  # 512 MiB, each file within RLIMIT_FSIZE
    try:
        with open(f"hog{i}", "wb") as f:
            f.write(chunk)
        written += len(chunk)
    except OSError:
        break
print(json.dumps({"written": written}))
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root (a file system of the child's own is mounted under root only)")
@pytest.mark.parametrize("mode, most", [("per file", 512 << 20), ("own folder", 64 << 20)])
def test_a_childs_folder_holds_one_files_limit_in_all_even_on_a_tmpfs(mode, most):
    """Where the temporary folder is a tmpfs (Fedora, Arch, Debian 13, containers started with
    --tmpfs /tmp), files in the work folder are memory: per file limits (the control) let a child
    write 512 MiB there; its own file system holds 64 MiB in all."""
    if not os.path.isdir("/dev/shm") or os.statvfs("/dev/shm").f_bavail * os.statvfs("/dev/shm").f_frsize < 1 << 30:
        pytest.skip("needs a tmpfs at /dev/shm with 1 GiB free")
    work = tempfile.mkdtemp(prefix="conv-gemm-tmpfs-", dir="/dev/shm")  # a work folder where /tmp is a tmpfs
    try:
        proc = subprocess.run([sys.executable, "-c", FILES, str(AUTOGRADER), work, mode], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        written = json.loads(proc.stdout.strip().splitlines()[-1])["written"]
        assert written == most if mode == "per file" else written <= most
    finally:
        shutil.rmtree(work, ignore_errors=True)
