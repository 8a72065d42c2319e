"""`make bench`: one convolution, every path, measured on this machine.

    .venv/bin/python bench/bench.py [--quick] [--out DIR] [--repeats N] [--threads N]

For the seed shape and two larger ones it times the naive loop (``conv2d_naive``), the hand
im2col + ``@`` (``im2col_loop`` then one matmul), the zero-copy im2col + einsum (``conv2d``),
``conv2d_gemm``, ``F.conv2d`` on the CPU and, where CUDA is present, ``F.conv2d`` with cuDNN in
NCHW and channels_last (plus ``benchmark_channels_last`` in float16). It prints the table, writes
it as JSON (``DIR/bench.json``) and draws a log-scale bar chart of GFLOP/s (``DIR/bench.png``).
``DIR`` defaults to ``bench/results/`` (gitignored).

The naive loop is far too slow for the large shapes, so there it is timed on a smaller shape (one
image, a quarter of the height and width, same channels and kernel, so the same work per output
pixel); the table says which shape each row was timed on, and the speed-up is then the ratio of
GFLOP/s, not of seconds. Nothing is extrapolated to seconds.

Threads: one by default, for NumPy's BLAS and for torch alike (``--threads N`` to change it), so
the paths compare like for like; bench/ref_ratios.py runs the same single-thread comparison
against PyTorch with interleaved rounds and judges the reference's speed targets.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _common import BENCH_SHAPES, ROOT, THREAD_VARS, conv_text, environment, inputs, load_text, shape_text, timing_row, use_reference


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small shapes and few repeats (a smoke test)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="folder for bench.json and bench.png")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per row (default 7, quick 2)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads for NumPy's BLAS and for torch (default 1, as bench/ref_ratios.py; with more, "
                             "OpenBLAS's and torch's thread pools compete for the cores)")
    opts = parser.parse_args(argv)
    if opts.threads < 1 or (opts.repeats is not None and opts.repeats < 1):
        parser.error("--threads and --repeats must be >= 1")
    return opts


# The thread count must be in the environment before NumPy and torch start their thread pools.
OPTS = parse_args()
for _var in THREAD_VARS:
    os.environ[_var] = str(OPTS.threads)

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(OPTS.threads)

ref = use_reference()
from conv_gemm.benchmark import time_callable  # noqa: E402
from conv_gemm.conv2d import conv2d, conv2d_gemm  # noqa: E402
from conv_gemm.cost import conv2d_macs, conv2d_naive, conv_output_size  # noqa: E402
from conv_gemm.im2col import im2col_loop  # noqa: E402
from _gpu import CUDA_ROW_NAMES, cuda_rows, no_cuda_reason  # noqa: E402

FULL_SHAPES = BENCH_SHAPES  # (label, x_shape, w_shape, stride, padding); bench/gpu_check.py uses them too
QUICK_SHAPES = [
    ("seed", (1, 3, 32, 32), (16, 3, 3, 3), 1, 1),
    ("small", (2, 8, 16, 16), (8, 8, 3, 3), 1, 1),
]
NAIVE_MAX_MACS = 2_000_000  # above this the naive loop is timed on a reduced shape
SPEEDUP_DEFINITION = (
    "speedup = row GFLOP/s / naive GFLOP/s (GFLOP/s = 2 * MACs / median seconds / 1e9, each row with the "
    "MACs of the shape it was timed on); equal to naive seconds / row seconds when both ran the same shape"
)


def naive_shape(x_shape, w_shape, stride, padding):
    """The shape the naive loop is timed on: the row's own, or 1 image at a quarter of H and W."""
    if conv2d_macs(x_shape, w_shape, stride, padding) <= NAIVE_MAX_MACS:
        return tuple(x_shape)
    n, c, h, w = x_shape
    small = (1, c, max(h // 4, w_shape[2]), max(w // 4, w_shape[3]))
    conv_output_size(small[2], w_shape[2], stride, padding)  # raises if the reduced shape is invalid
    return small


def bench_shape(label, x_shape, w_shape, stride, padding, repeats, warmup, skipped):
    x, w, _ = inputs(x_shape, w_shape)
    macs = conv2d_macs(x_shape, w_shape, stride, padding)
    kernel = tuple(w_shape[2:])
    w_mat = w.reshape(w_shape[0], -1)
    rows = []

    # naive: the four nested loops, on a reduced shape when the real one would take minutes
    nx_shape = naive_shape(x_shape, w_shape, stride, padding)
    nx = x if nx_shape == tuple(x_shape) else inputs(nx_shape, w_shape)[0]
    n_macs = conv2d_macs(nx_shape, w_shape, stride, padding)
    seconds = time_callable(conv2d_naive, nx, w, None, stride, padding, repeats=max(1, repeats // 2), warmup=min(warmup, 1))
    note = "" if nx_shape == tuple(x_shape) else f"timed on x{shape_text(nx_shape)} (too slow on the full shape)"
    rows.append(timing_row("naive", "numpy loops", seconds, n_macs, nx_shape, note))

    def im2col_matmul():
        return w_mat @ im2col_loop(x, kernel, stride, padding)  # (N, C*kh*kw, L), then one matmul

    paths = [
        ("im2col_loop", "numpy: im2col_loop + @", im2col_matmul),
        ("einsum", "numpy: windows + einsum", lambda: conv2d(x, w, None, stride, padding)),
        ("conv2d_gemm", "numpy: im2col_strided + @", lambda: conv2d_gemm(x, w, None, stride, padding)),
    ]
    xt, wt = torch.from_numpy(x), torch.from_numpy(w)
    n_threads = torch.get_num_threads()
    paths.append(("torch_cpu", f"torch cpu ({n_threads} thread{'s' if n_threads > 1 else ''})", lambda: F.conv2d(xt, wt, None, stride, padding)))
    for name, backend, fn in paths:
        rows.append(timing_row(name, backend, time_callable(fn, repeats=repeats, warmup=warmup), macs, x_shape))

    reason = no_cuda_reason()
    if reason is None:
        rows += cuda_rows(x, w, stride, padding, repeats, warmup)
    elif not skipped:
        skipped.append({"rows": list(CUDA_ROW_NAMES), "reason": f"{reason}: cuDNN rows and benchmark_channels_last skipped"})

    naive_gflops = rows[0]["gflops"]
    for r in rows:
        r["speedup"] = r["gflops"] / naive_gflops
    return {"label": label, "x_shape": list(x_shape), "w_shape": list(w_shape), "stride": stride,
            "padding": padding, "dilation": 1, "macs": int(macs), "rows": rows}


def print_table(result):
    env = result["environment"]
    threads = ", ".join(f"{k}={v}" for k, v in env["thread_env"].items())
    print(f"{env['cpu']} ({env['cpu_count']} cores) | numpy {env['numpy']} ({env['numpy_blas']}) | torch {env['torch']} | float32")
    print(f"threads: torch.set_num_threads({env['torch_threads']}), {threads}")
    print(f"median of {result['repeats']} calls after {result['warmup']} warm-up call(s) (naive: fewer), "
          f"conv_gemm.benchmark.time_callable; {load_text()} at the end")
    for shape in result["shapes"]:
        print()
        title = (f"{shape['label']}: {conv_text(shape['x_shape'], shape['w_shape'], shape['stride'], shape['padding'])}"
                 f"  ({shape['macs'] / 1e6:.1f} M MACs)")
        print(title)
        header = f"  {'name':26s} {'backend':30s} {'median':>11s} {'GFLOP/s':>9s} {'speed-up':>10s}  note"
        print(header)
        print("  " + "-" * (len(header) + 30))
        for r in shape["rows"]:
            print(f"  {r['name']:26s} {r['backend']:30s} {r['seconds'] * 1e3:9.3f}ms {r['gflops']:9.3f} "
                  f"{r['speedup']:9.1f}x  {r['note']}")
    print()
    print(SPEEDUP_DEFINITION)
    for s in result["skipped"]:
        print(f"skipped: {s['reason']}")


def plot(result, path):
    shapes = result["shapes"]
    names = []
    for shape in shapes:
        names += [r["name"] for r in shape["rows"] if r["name"] not in names]
    fig, ax = plt.subplots(figsize=(max(8, 2.6 * len(shapes)), 5))
    width = 0.8 / len(names)
    for k, name in enumerate(names):
        xs, ys = [], []
        for i, shape in enumerate(shapes):
            for r in shape["rows"]:
                if r["name"] == name:
                    xs.append(i + (k - (len(names) - 1) / 2) * width)
                    ys.append(r["gflops"])
        bars = ax.bar(xs, ys, width, label=name)
        ax.bar_label(bars, labels=[f"{y:.3g}" for y in ys], fontsize=6, rotation=90, padding=2)
    ax.set_yscale("log")
    ax.set_ylabel("GFLOP/s (2 * MACs / median time), log scale")
    labels = []
    for shape in shapes:
        naive = shape["rows"][0]
        extra = "" if naive["timed_x_shape"] == shape["x_shape"] else f"\nnaive timed on x{shape_text(naive['timed_x_shape'])}"
        labels.append(f"{shape['label']}\n{conv_text(shape['x_shape'], shape['w_shape'], shape['stride'], shape['padding'])}{extra}")
    ax.set_xticks(range(len(shapes)), labels, fontsize=7)
    env = result["environment"]
    ax.set_title(f"conv2d paths, float32, {env['torch_threads']} thread(s) — {env['cpu']}, numpy {env['numpy']}, "
                 f"torch {env['torch']}", fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    ymin, ymax = ax.get_ylim()
    ax.set_ylim(ymin, ymax * 5)  # room for the bar labels
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(opts):
    repeats = opts.repeats or (2 if opts.quick else 7)
    warmup = 1
    start = time.perf_counter()

    skipped = []
    shapes = [bench_shape(*spec, repeats=repeats, warmup=warmup, skipped=skipped)
              for spec in (QUICK_SHAPES if opts.quick else FULL_SHAPES)]
    result = {"environment": environment(), "quick": opts.quick, "repeats": repeats, "warmup": warmup,
              "speedup_definition": SPEEDUP_DEFINITION, "shapes": shapes, "skipped": skipped}
    print_table(result)

    opts.out.mkdir(parents=True, exist_ok=True)
    (opts.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, opts.out / "bench.png")
    print(f"wrote {opts.out / 'bench.json'} and {opts.out / 'bench.png'} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(OPTS))
