"""grader.machine: CPU quotas, memory limits and OOM-kill counters read from fake cgroup trees (v1
and v2) and /proc files, and the question lanes and grading workers they give."""
from __future__ import annotations

import pytest

from grader import machine


def _tree(tmp_path, monkeypatch, own: dict[str, str], files: dict[str, str], cpus: int = 2):
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.setattr(machine, "CGROUP_ROOT", tmp_path)
    monkeypatch.setattr(machine, "_own_cgroups", lambda: dict(own))
    monkeypatch.setattr(machine.os, "sched_getaffinity", lambda pid: set(range(cpus)))


def test_no_cgroup_limits_means_the_affinity_decides(tmp_path, monkeypatch):
    _tree(tmp_path, monkeypatch, {"cpu": "/", "memory": "/"},
          {"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000",
           "memory/memory.limit_in_bytes": str(2**63 - 4096)}, cpus=2)
    assert machine.cgroup_cpus() is None and machine.cgroup_memory() is None
    assert machine.usable_cpus() == 2.0
    assert machine.question_lanes() == 2
    assert machine.question_lanes(processes=2) == 1  # two grading processes on two CPUs: one lane each


def test_gradescope_half_cpu_v1_gives_one_lane(tmp_path, monkeypatch):
    """A container's own cgroup under a parent: the parent's half CPU and 768 MiB bind."""
    _tree(tmp_path, monkeypatch, {"cpu": "/docker/abc", "memory": "/docker/abc"},
          {"cpu/docker/cpu.cfs_quota_us": "50000", "cpu/docker/cpu.cfs_period_us": "100000",
           "cpu/docker/abc/cpu.cfs_quota_us": "-1", "cpu/docker/abc/cpu.cfs_period_us": "100000",
           "memory/docker/memory.limit_in_bytes": str(768 << 20),
           "memory/docker/abc/memory.limit_in_bytes": str(2**63 - 4096)}, cpus=16)
    assert machine.cgroup_cpus() == 0.5
    assert machine.cgroup_memory() == 768 << 20
    assert machine.usable_cpus() == 0.5
    assert machine.question_lanes() == 1


def test_v2_cpu_max_and_memory_max(tmp_path, monkeypatch):
    _tree(tmp_path, monkeypatch, {"": "/user.slice/job"},
          {"user.slice/job/cpu.max": "400000 100000", "user.slice/job/memory.max": "max",
           "user.slice/cpu.max": "max 100000", "user.slice/memory.max": str(8 << 30)}, cpus=8)
    assert machine.cgroup_cpus() == 4.0
    assert machine.cgroup_memory() == 8 << 30
    assert machine.question_lanes() == 2
    assert machine.question_lanes(processes=4) == 1


@pytest.mark.parametrize("memory, lanes", [(1 << 30, 1), (4 << 30, 2)])
def test_a_small_memory_limit_keeps_one_lane_even_with_cpus(tmp_path, monkeypatch, memory, lanes):
    _tree(tmp_path, monkeypatch, {"": "/"}, {"memory.max": str(memory)}, cpus=4)
    assert machine.question_lanes() == lanes


def test_a_container_that_sees_only_its_own_part_of_the_hierarchy(tmp_path, monkeypatch):
    """/proc/self/cgroup names a path that does not exist under the mount: the root's files are read."""
    _tree(tmp_path, monkeypatch, {"cpu": "/kubepods/pod1/c1"},
          {"cpu/cpu.cfs_quota_us": "150000", "cpu/cpu.cfs_period_us": "100000"}, cpus=4)
    assert machine.cgroup_cpus() == 1.5
    assert machine.question_lanes() == 1


def test_this_machine_reads_without_error():
    assert machine.usable_cpus() > 0
    assert machine.question_lanes() in (1, 2)


def _memory(tmp_path, monkeypatch, available_mib: int, vmstat_kills: int = 0):
    (tmp_path / "meminfo").write_text(f"MemTotal:       {4 * available_mib * 1024} kB\nMemAvailable:   {available_mib * 1024} kB\n")
    (tmp_path / "vmstat").write_text(f"pgfault 123\noom_kill {vmstat_kills}\n")
    monkeypatch.setattr(machine, "MEMINFO", tmp_path / "meminfo")
    monkeypatch.setattr(machine, "VMSTAT", tmp_path / "vmstat")


@pytest.mark.parametrize("limit_mib, cpus, quota, workers", [
    (768, 32, "50000", 1),  # Gradescope-like: the host's 32 CPUs show, half a CPU and 768 MiB bind
    (768, 2, "-1", 1),  # two CPUs, but memory for one worker: two had 139 children killed for memory
    (1536, 2, "-1", 2),
    (1536, 8, "-1", 2),  # memory, not CPUs, decides
    (None, 4, "150000", 1),  # a quota of 1.5 CPUs: one whole CPU
    (None, 4, "-1", 4),
])
def test_default_workers_fit_the_cpus_and_the_memory(tmp_path, monkeypatch, limit_mib, cpus, quota, workers):
    files = {"cpu/cpu.cfs_quota_us": quota, "cpu/cpu.cfs_period_us": "100000",
             "memory/memory.limit_in_bytes": str((limit_mib << 20) if limit_mib else 2**63 - 4096)}
    _tree(tmp_path / "cg", monkeypatch, {"cpu": "/", "memory": "/"}, files, cpus=cpus)
    _memory(tmp_path, monkeypatch, available_mib=16384)
    assert machine.grading_workers() == (workers, None)


def test_the_machines_free_memory_bounds_the_workers_without_a_cgroup(tmp_path, monkeypatch):
    _tree(tmp_path / "cg", monkeypatch, {}, {}, cpus=16)
    _memory(tmp_path, monkeypatch, available_mib=2000)  # a laptop with 16 threads and 2 GB free
    assert machine.grading_workers() == (3, None)


def test_more_workers_than_the_memory_holds_are_kept_with_a_warning(tmp_path, monkeypatch):
    _tree(tmp_path / "cg", monkeypatch, {"memory": "/"}, {"memory/memory.limit_in_bytes": str(768 << 20)}, cpus=2)
    _memory(tmp_path, monkeypatch, available_mib=16384)
    workers, warning = machine.grading_workers(2)
    assert workers == 2  # the instructor's choice stands
    assert "2 workers need about 1280 MiB" in warning and "768 MiB available" in warning and "At most 1 would fit" in warning
    assert machine.grading_workers(1) == (1, None)


def test_oom_kills_add_the_cgroups_and_the_machines_counters(tmp_path, monkeypatch):
    _tree(tmp_path / "cg", monkeypatch, {"memory": "/docker/abc", "": "/job"},
          {"memory/docker/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n",
           "memory/docker/abc/memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n",
           "job/memory.events": "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n"}, cpus=2)
    _memory(tmp_path, monkeypatch, available_mib=1024, vmstat_kills=5)
    assert machine.oom_kills() == 3 + 1 + 2 + 5
    (tmp_path / "vmstat").write_text("oom_kill 6\n")
    assert machine.oom_kills() == 3 + 1 + 2 + 6  # one more kill anywhere shows as a difference


def test_this_machine_reads_its_memory_without_error():
    assert machine.oom_kills() >= 0
    assert machine.available_memory() > 0
    workers, warning = machine.grading_workers()
    assert workers >= 1 and warning is None
