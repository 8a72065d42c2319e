"""`make gpu-check`: everything in this project that needs CUDA, in one run, on a machine with a GPU.

    .venv/bin/python bench/gpu_check.py [--out DIR] [--repeats N]

Three sections, printed as one table and written to ``DIR/gpu_check.json`` (``DIR`` defaults to
``bench/results/``, gitignored):

  bench    the cuDNN and channels_last rows of ``make bench`` (bench/bench.py) on its shapes:
           F.conv2d float32 NCHW and NHWC, and ``benchmark_channels_last`` in float16
  grader   the grader's CUDA-only checks (registered with ``needs_cuda=True`` in
           autograder/grader/*_checks.py) run on the reference solution through the grader itself
           (sandboxed children, as for a student), grading only the questions that have such checks
  layout   the reference ``benchmark_channels_last`` on the grader check's shape and on the bench
           shapes, float16 and float32

Without CUDA it prints one "no CUDA: skipped" line with the reason, writes the JSON with
``"cuda": false`` and exits 0. With CUDA it exits 1 when a CUDA-only grader check fails on the
reference (the figures are printed either way; nothing is judged on speed).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _common import BENCH_SHAPES, ROOT, THREAD_VARS, conv_text, environment, inputs, shape_text, use_reference

GRADER_CHECK_SHAPE = ((8, 64, 32, 32), (64, 64, 3, 3))  # grader/questions/layout.py: benchmark_channels_last on CUDA
sys.path.insert(0, str(ROOT / "autograder"))


def cuda_only_checks() -> list:
    """The registered checks with ``needs_cuda=True`` (public and hidden)."""
    from grader.engine import load_checks

    return [c for c in load_checks(include_hidden=True) if c.needs_cuda]


def grader_section() -> dict:
    """Grade the reference on the questions that have CUDA-only checks; report those checks.

    Returns ``{"questions": {q: score/max}, "checks": [{question, name, public, passed, skipped,
    feedback, seconds}], "seconds"}``. Without CUDA the checks come back skipped (the grader's
    own "skipped: needs CUDA").
    """
    from grader.engine import grade_submission

    checks = cuda_only_checks()
    questions = sorted({c.question for c in checks})
    t0 = time.perf_counter()
    result = grade_submission(ROOT / "solutions", questions=questions, student="reference")
    records = []
    for c in checks:
        got = next(r for r in result.questions[c.question].checks if r.name == c.name)
        records.append({"question": c.question, "name": c.name, "public": c.public, "passed": got.passed,
                        "skipped": got.skipped, "feedback": got.feedback, "seconds": got.seconds})
    scores = {q: f"{result.questions[q].score:g} / {result.questions[q].max_score:g}" for q in questions}
    return {"questions": scores, "checks": records, "seconds": round(time.perf_counter() - t0, 2),
            "problems": result.problems}


def bench_section(repeats: int) -> list[dict]:
    """bench/bench.py's CUDA rows, per shape."""
    from _gpu import cuda_rows

    return [{"label": label, "conv": conv_text(x_shape, w_shape, stride, padding),
             "rows": cuda_rows(*inputs(x_shape, w_shape)[:2], stride, padding, repeats, warmup=1)}
            for label, x_shape, w_shape, stride, padding in BENCH_SHAPES]


def layout_section(repeats: int) -> list[dict]:
    """The reference ``benchmark_channels_last`` on the grader's shape and the bench shapes."""
    from conv_gemm.layout import benchmark_channels_last

    shapes = [GRADER_CHECK_SHAPE] + [(x, w) for _, x, w, _, _ in BENCH_SHAPES]
    out = []
    for x_shape, w_shape in shapes:
        for dtype in ("float16", "float32"):
            r = benchmark_channels_last(x_shape, w_shape, dtype=dtype, repeats=repeats)
            out.append({"x_shape": list(x_shape), "w_shape": list(w_shape), "dtype": dtype, **r})
    return out


def print_report(report: dict) -> None:
    env = report["environment"]
    print(f"GPU check | {report['device']} | torch {env['torch']} (CUDA {report['cuda_version']}, cuDNN {report['cudnn_version']})")
    print()
    print("bench: cuDNN and channels_last rows of `make bench` (median of CUDA-event timings)")
    for shape in report["bench"]:
        print(f"  {shape['label']}: {shape['conv']}")
        for r in shape["rows"]:
            print(f"    {r['name']:26s} {r['backend']:26s} {r['seconds'] * 1e3:9.3f}ms {r['gflops']:9.1f} GFLOP/s  {r['note']}")
    print()
    g = report["grader"]
    print(f"grader: CUDA-only checks on the reference ({', '.join(f'{q} {s}' for q, s in g['questions'].items())}; {g['seconds']:.1f} s)")
    for c in g["checks"]:
        verdict = "skipped" if c["skipped"] else ("passed" if c["passed"] else "FAILED")
        print(f"  {verdict:8s} {c['question']}: {c['name']} ({'public' if c['public'] else 'hidden'}, {c['seconds']:.2f} s)"
              + (f" -- {c['feedback']}" if c["feedback"] and not c["passed"] else ""))
    print()
    print("layout: reference benchmark_channels_last (stride 1, padding k//2)")
    print(f"  {'x':18s} {'w':16s} {'dtype':8s} {'NCHW':>10s} {'NHWC':>10s} {'speed-up':>9s}")
    for r in report["layout"]:
        print(f"  {shape_text(r['x_shape']):18s} {shape_text(r['w_shape']):16s} {r['dtype']:8s} "
              f"{r['nchw_seconds'] * 1e3:8.3f}ms {r['nhwc_seconds'] * 1e3:8.3f}ms {r['speedup']:8.2f}x")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder for gpu_check.json")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per GPU measurement (default 20)")
    opts = parser.parse_args(argv)
    if opts.repeats < 1:
        parser.error("--repeats must be >= 1")
    for var in THREAD_VARS:  # as bench.py: one CPU thread, before torch starts its pools
        os.environ.setdefault(var, "1")
    import torch

    from _gpu import no_cuda_reason

    use_reference()
    report = {"environment": environment(), "cuda": torch.cuda.is_available()}
    opts.out.mkdir(parents=True, exist_ok=True)
    path = opts.out / "gpu_check.json"
    reason = no_cuda_reason()
    if reason is not None:
        report["skipped"] = reason
        path.write_text(json.dumps(report, indent=2) + "\n")
        print(f"no CUDA: skipped the cuDNN rows, the CUDA-only grader checks and benchmark_channels_last; {reason}")
        print(f"wrote {path}")
        return 0

    start = time.perf_counter()
    report.update(device=torch.cuda.get_device_name(0), cuda_version=torch.version.cuda,
                  cudnn_version=torch.backends.cudnn.version(), skipped=None)
    report["bench"] = bench_section(opts.repeats)
    report["grader"] = grader_section()
    report["layout"] = layout_section(opts.repeats)
    report["seconds"] = round(time.perf_counter() - start, 1)
    path.write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    failed = [c["name"] for c in report["grader"]["checks"] if not c["passed"]]
    print(f"\nwrote {path} ({report['seconds']} s)")
    if failed:
        print(f"CUDA-only grader checks not passed on the reference: {'; '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
