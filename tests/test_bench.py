"""The benchmark scripts run end to end in their quick modes (no timing is asserted: the machine is shared)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_script(*args, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_bench_quick_writes_table_json_and_plot(tmp_path):
    out = tmp_path / "results"
    proc = run_script("bench/bench.py", "--quick", "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("naive", "im2col_loop", "einsum", "conv2d_gemm", "torch_cpu", "GFLOP/s", "speed-up"):
        assert name in proc.stdout

    result = json.loads((out / "bench.json").read_text())
    assert set(result) == {"environment", "quick", "repeats", "warmup", "speedup_definition", "shapes", "skipped"}
    assert result["quick"] is True
    labels = [s["label"] for s in result["shapes"]]
    assert labels[0] == "seed" and len(labels) >= 2
    seed = result["shapes"][0]
    assert (seed["x_shape"], seed["w_shape"], seed["padding"]) == ([1, 3, 32, 32], [16, 3, 3, 3], 1)
    cuda = result["environment"]["cuda"]
    for shape in result["shapes"]:
        assert set(shape) == {"label", "x_shape", "w_shape", "stride", "padding", "dilation", "macs", "rows"}
        names = [r["name"] for r in shape["rows"]]
        assert names[:5] == ["naive", "im2col_loop", "einsum", "conv2d_gemm", "torch_cpu"]
        assert ("cudnn" in names) == cuda
        for r in shape["rows"]:
            assert set(r) == {"name", "backend", "seconds", "gflops", "speedup", "timed_x_shape", "timed_macs", "note"}
            assert r["seconds"] > 0 and r["gflops"] > 0 and r["speedup"] > 0
        assert shape["rows"][0]["speedup"] == 1.0
    if not cuda:  # the skipped GPU rows are reported, with the reason, in the JSON and on screen
        assert result["skipped"] and "CUDA" in result["skipped"][0]["reason"]
        assert "skipped: CUDA is not available" in proc.stdout
    assert (out / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ref_ratios_quick_prints_ratios_and_judges_nothing():
    proc = run_script("bench/ref_ratios.py", "--quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "ONE thread" in out
    # which OpenBLAS kernel NumPy runs, as threadpoolctl reports it, limited to one thread
    blas = next(line for line in out.splitlines() if line.startswith("numpy BLAS: "))
    assert "openblas" in blas and " kernel " in blas and "1 thread(s)" in blas and "OPENBLAS_CORETYPE=" in blas
    assert "judged on CPU time" in out
    for how, label in (("worst shape", "conv2d / F.conv2d"), ("geometric mean", "conv2d_backward / autograd"),
                       ("geometric mean", "winograd_conv2d / conv2d")):
        line = next(line for line in out.splitlines() if line.startswith(how) and label in line)
        assert "not judged (--quick)" in line and "(wall " in line
    assert "quick mode" in out


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def _needs_cuda_checks_in_source() -> set[tuple[str, str]]:
    """(question, name) of every ``@check(..., needs_cuda=True)`` in the question modules and their
    hidden twins, read from the AST."""
    import ast

    found = set()
    grader = ROOT / "autograder" / "grader"
    for path in sorted([*(grader / "questions").glob("*.py"), *(grader / "instructor" / "hidden").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
                kwargs = {k.arg: k.value for k in node.keywords}
                if isinstance(kwargs.get("needs_cuda"), ast.Constant) and kwargs["needs_cuda"].value is True:
                    found.add((node.args[0].value, node.args[1].value))
    return found


def test_gpu_check_skips_cleanly_without_cuda(tmp_path):
    if _cuda_available():
        pytest.skip("CUDA is present: the skip path cannot be observed here")
    proc = run_script("bench/gpu_check.py", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("no CUDA: skipped") and "torch.cuda.is_available() is False" in first
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["cuda"] is False and report["environment"]["cuda"] is False
    assert "CUDA is not available" in report["skipped"]
    assert not {"bench", "grader", "layout"} & set(report)  # nothing measured, nothing pretended


def test_gpu_check_grader_section_finds_every_cuda_only_check():
    """The grader section grades the reference on exactly the questions with CUDA-only checks;
    on this machine the grader itself reports them skipped (needs CUDA)."""
    import gpu_check

    expected = _needs_cuda_checks_in_source()
    assert expected, "no needs_cuda=True check found in the grader's sources"
    assert {(c.question, c.name) for c in gpu_check.cuda_only_checks()} == expected
    section = gpu_check.grader_section()
    assert {(c["question"], c["name"]) for c in section["checks"]} == expected
    assert set(section["questions"]) == {q for q, _ in expected}
    cuda = _cuda_available()
    for c in section["checks"]:
        if cuda:
            assert c["passed"], c
        else:
            assert c["skipped"] and not c["passed"] and c["feedback"] == "skipped: needs CUDA", c
    # the rest of those questions is graded too: the reference gets its full (non-CUDA) score
    for q, score in section["questions"].items():
        got, most = (float(v) for v in score.split(" / "))
        assert got == most > 0, (q, score)


def test_grading_speed_prints_figures_for_one_package(tmp_path):
    """One row, no cgroup: the figures are printed and written (values not judged: the machine is shared)."""
    import shutil

    shutil.copytree(ROOT / "solutions" / "conv_gemm", tmp_path / "samples" / "complete" / "conv_gemm")
    out = tmp_path / "results"
    proc = run_script("bench/grading_speed.py", "--rows", "package", "--no-cgroup", "--samples", str(tmp_path / "samples"),
                      "--out", str(out), timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    line = next(line for line in proc.stdout.splitlines() if line.startswith("one package, no notebook"))
    report = json.loads((out / "grading_speed.json").read_text())
    (row,) = report["rows"]
    assert row["row"] == "package" and "error" not in row, row
    assert row["wall_s"] > 0 and row["cpu_s"] > 0
    # the question children ran (and were counted): their peak RSS is that of a process that imported numpy
    assert row["peak_rss_children_mib"] > 20 and row["peak_rss_self_mib"] > 20
    got, most = (float(v) for v in row["score"].split(" / "))
    assert got >= most > 0  # the reference: every question's points (plus extra credit), no notebook
    assert f"{row['wall_s']:.1f} s" in line and row["score"] in line
    assert report["half_cpu_rows"] == [] and report["half_cpu_skipped"] == "--no-cgroup"


def test_half_cpu_cgroup_limits_a_command_and_is_removed():
    import grading_speed

    cgroup = grading_speed.HalfCpuCgroup()
    reason = cgroup.unavailable()
    if reason:
        pytest.skip(f"half-CPU cgroup not available here: {reason}")
    try:
        assert (cgroup.cpu / "cpu.cfs_quota_us").read_text().strip() == "50000"
        assert (cgroup.cpu / "cpu.cfs_period_us").read_text().strip() == "100000"
        assert int((cgroup.memory / "memory.limit_in_bytes").read_text()) == 768 * 2**20
        # a command started through wrap() runs in both cgroups, and so do its children
        code = "import subprocess; print(subprocess.run(['cat', '/proc/self/cgroup'], capture_output=True, text=True).stdout)"
        proc = subprocess.run(cgroup.wrap([sys.executable, "-c", code]), capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        paths = {line.split(":")[1]: line.split(":")[2] for line in proc.stdout.splitlines() if line.count(":") >= 2}
        assert paths["cpu"].endswith(cgroup.name) and paths["memory"].endswith(cgroup.name)
        assert cgroup.peak()["tree_peak_mib"] > 1  # the memory cgroup saw the command
        # a row cut short leaves processes behind in the cgroup: remove() kills them, then deletes it
        straggler = subprocess.Popen(cgroup.wrap([sys.executable, "-c", "import time; time.sleep(120)"]))
        for _ in range(100):
            if str(straggler.pid) in (cgroup.cpu / "cgroup.procs").read_text().split():
                break
            time.sleep(0.05)
        else:
            straggler.kill()
            pytest.fail("the straggler never showed up in the cgroup")
    finally:
        cgroup.remove()
    assert not cgroup.cpu.exists() and not cgroup.memory.exists()
    assert straggler.wait(timeout=10) == -9
