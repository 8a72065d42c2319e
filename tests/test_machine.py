"""grader.machine: CPU quotas and memory limits read from fake cgroup trees (v1 and v2), and the
number of question lanes they give."""
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
