"""What this machine lets the grader use: CPUs (affinity and any cgroup CPU quota) and memory
(any cgroup memory limit, the free memory), and so how many questions one grading process grades
at once and how many workers ``grader grade`` runs; and how many processes the kernel has killed
for lack of memory (a check that died so may not have failed by the student's doing).

Gradescope's containers get half a CPU and 768 MiB through cgroups; a laptop or CI runner has
neither limit. Both cgroup layouts are read: v1 (``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``,
``memory.limit_in_bytes``) and v2 (``cpu.max``, ``memory.max``), on this process's cgroup and on
every cgroup above it (a parent's limit binds too).
"""
from __future__ import annotations

import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
MEMINFO, VMSTAT = Path("/proc/meminfo"), Path("/proc/vmstat")
LANE_MEMORY_BYTES = 1536 << 20
"""Below this memory limit questions are graded one at a time (two children and their stand-ins
at once would crowd a 768 MiB container)."""
WORKER_MEMORY_BYTES = 640 << 20
"""Memory for one worker of ``grader grade``: its template with torch, its children and the
notebook's processes. Measured (bench/grading_speed.py, the sample class, memory cgroup's peak):
657 MiB for the whole tree with one worker, 1070 MiB with two; two workers under 768 MiB had
their children killed for memory 139 times."""


def _own_cgroups() -> dict[str, str]:
    """controller (``""`` for v2) -> this process's cgroup path, from /proc/self/cgroup."""
    found = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                found[controller] = path
    except (OSError, ValueError):
        pass
    return found


def _chain(base: Path, path: str) -> list[Path]:
    """The cgroup folders from ``path`` up to ``base`` (those that exist: a container may see
    only its own part of the hierarchy, mounted at ``base``)."""
    folders, parts = [], [p for p in path.split("/") if p]
    for n in range(len(parts), -1, -1):
        folder = base.joinpath(*parts[:n])
        if folder.is_dir():
            folders.append(folder)
    return folders


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cgroup_cpus() -> float | None:
    """The smallest CPU quota on this process's cgroups, in CPUs; None where there is none."""
    cgroups, quotas = _own_cgroups(), []
    if "cpu" in cgroups:
        for folder in _chain(CGROUP_ROOT / "cpu", cgroups["cpu"]):
            quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
            if quota and period and quota.lstrip("-").isdigit() and int(quota) > 0 and period.isdigit() and int(period) > 0:
                quotas.append(int(quota) / int(period))
    if "" in cgroups:
        for folder in _chain(CGROUP_ROOT, cgroups[""]):
            fields = (_read(folder / "cpu.max") or "").split()
            if len(fields) == 2 and fields[0].isdigit() and fields[1].isdigit() and int(fields[1]) > 0:
                quotas.append(int(fields[0]) / int(fields[1]))
    return min(quotas) if quotas else None


def cgroup_memory() -> int | None:
    """The smallest memory limit on this process's cgroups, in bytes; None where there is none."""
    cgroups, limits = _own_cgroups(), []
    if "memory" in cgroups:
        for folder in _chain(CGROUP_ROOT / "memory", cgroups["memory"]):
            value = _read(folder / "memory.limit_in_bytes")
            if value and value.isdigit() and int(value) < 1 << 60:  # v1 writes a huge number for "no limit"
                limits.append(int(value))
    if "" in cgroups:
        for folder in _chain(CGROUP_ROOT, cgroups[""]):
            value = _read(folder / "memory.max")
            if value and value.isdigit():
                limits.append(int(value))
    return min(limits) if limits else None


def usable_cpus() -> float:
    """CPUs this process may run on (its affinity), capped by any cgroup quota."""
    try:
        cpus = float(len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cpus = float(os.cpu_count() or 1)
    quota = cgroup_cpus()
    return min(cpus, quota) if quota is not None else cpus


def question_lanes(processes: int = 1) -> int:
    """How many questions one grading process grades at once when ``processes`` grade side by side:
    two where it has two CPUs and the memory for two children to itself, else one (under half a
    CPU a second lane would only share the same CPU and add a child's memory)."""
    memory = cgroup_memory()
    if memory is not None and memory // max(processes, 1) < LANE_MEMORY_BYTES:
        return 1
    return 2 if usable_cpus() / max(processes, 1) >= 2 else 1


def oom_kills() -> int:
    """Processes the kernel has killed for lack of memory so far, in this process's memory cgroups
    (v1 ``memory.oom_control``, v2 ``memory.events``; each counts its whole subtree) and on the
    whole machine (``/proc/vmstat``); only a difference between two readings means anything."""
    cgroups, total = _own_cgroups(), 0
    places = []
    if "memory" in cgroups:
        places += [(folder / "memory.oom_control") for folder in _chain(CGROUP_ROOT / "memory", cgroups["memory"])]
    if "" in cgroups:
        places += [(folder / "memory.events") for folder in _chain(CGROUP_ROOT, cgroups[""])]
    places.append(VMSTAT)
    for place in places:
        for line in (_read(place) or "").splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == "oom_kill" and fields[1].isdigit():
                total += int(fields[1])
    return total


def available_memory() -> int | None:
    """Bytes this process's tree may still use: the smaller of its cgroups' limit and the
    machine's ``MemAvailable``; None where neither can be read."""
    found = [m for m in (cgroup_memory(),) if m is not None]
    for line in (_read(MEMINFO) or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "MemAvailable:" and fields[1].isdigit():
            found.append(int(fields[1]) * 1024)
    return min(found) if found else None


def grading_workers(requested: int | None = None) -> tuple[int, str | None]:
    """How many workers ``grader grade`` runs, and a warning when ``requested`` is more than the
    memory holds. By default one per usable CPU (affinity and CPU quota, not the host's count
    that a container reports), at most one per WORKER_MEMORY_BYTES of available memory."""
    memory = available_memory()
    fits = None if memory is None else max(1, memory // WORKER_MEMORY_BYTES)
    if requested is None:
        workers = max(1, int(usable_cpus()))
        return (workers if fits is None else min(workers, fits)), None
    if fits is not None and requested > fits:
        return requested, (f"{requested} workers need about {requested * WORKER_MEMORY_BYTES >> 20} MiB, and this machine "
                           f"has {memory >> 20} MiB available: children may be killed for memory, and their checks then "
                           f"fail for the machine's sake. At most {fits} would fit (leave out --workers for that).")
    return requested, None
