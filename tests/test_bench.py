"""The benchmark scripts run end to end in their quick modes (no timing is asserted: the machine is shared)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    for label in ("conv2d / F.conv2d", "conv2d_backward / autograd", "winograd_conv2d / conv2d"):
        line = next(line for line in out.splitlines() if line.startswith(f"geometric mean {label}"))
        assert "not judged (--quick)" in line
    assert "quick mode" in out
