"""How far the reference solution is from PyTorch's CPU convolution, on one thread.

    .venv/bin/python bench/ref_ratios.py            # full run: judges the targets, exit 1 on a miss
    .venv/bin/python bench/ref_ratios.py --quick    # small shapes: checks the script runs, judges nothing

Everything runs in this one process on ONE thread (OpenBLAS for NumPy, limited by the environment
and by threadpoolctl; oneDNN for torch, torch.set_num_threads(1)), in float32, on the same arrays.
Each round times every function once, in a rotated order, after one untimed warm-up call each;
the reported time is the median over the rounds. Outputs are checked against PyTorch before
anything is timed. Which OpenBLAS kernel NumPy runs (threadpoolctl) is printed, with
OPENBLAS_CORETYPE as found (this script never sets it).

Two clocks per call: the process's CPU time (time.process_time) and the wall time. On one thread
they agree on an idle machine; on a shared one the wall time also counts the time the scheduler
gave to other processes. The targets are judged on the CPU time by default (--clock wall to judge
on wall time); both ratios are printed.

A busy machine is told from a slow solution: /proc/stat gives the CPU time that the whole machine
spent during the run, and what this process did not spend itself is other work. Other processes
share the caches and the memory bus even where each has a core of its own, so above
--max-other-cores of other work on average the figures are printed, said not to be comparable,
and nothing is judged (exit 0, with a warning). On a quiet machine a missed target exits 1.

Targets:
  forward   reference conv2d           <= 1.4x  F.conv2d, on EVERY shape
  backward  reference conv2d_backward  <= 2.0x  torch.autograd.grad of F.conv2d (geometric mean)
  winograd  reference winograd_conv2d  <= 0.7x  reference conv2d (3x3, stride 1, 64 -> 64 channels; geometric mean)
"""
import os

# One thread everywhere, set before NumPy or torch is imported (their thread pools read these once).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

torch.set_num_threads(1)
threadpool_limits(1)  # every BLAS/OpenMP pool already loaded (NumPy's OpenBLAS, torch's libgomp)

from _busy import MAX_OTHER_CORES, OtherWork, is_busy, verdict  # noqa: E402
from _common import conv_text, environment, geomean, inputs, load_text, use_reference  # noqa: E402

ref = use_reference()
from conv_gemm.backward import conv2d_backward  # noqa: E402
from conv_gemm.conv2d import conv2d  # noqa: E402
from conv_gemm.winograd import winograd_conv2d  # noqa: E402

# (x_shape, w_shape, stride, padding, dilation): a ResNet stage at 56x56, its stride-2
# downsampling conv, a dilated conv, and a deeper 28x28 stage.
FULL_SHAPES = [
    ((16, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1),
    ((16, 64, 56, 56), (128, 64, 3, 3), 2, 1, 1),
    ((16, 64, 56, 56), (64, 64, 3, 3), 1, 2, 2),
    ((16, 128, 28, 28), (128, 128, 3, 3), 1, 1, 1),
]
QUICK_SHAPES = [
    ((2, 8, 12, 12), (8, 8, 3, 3), 1, 1, 1),
    ((2, 8, 12, 12), (16, 8, 3, 3), 2, 1, 1),
    ((2, 8, 12, 12), (8, 8, 3, 3), 1, 2, 2),
]
TARGETS = {"forward": 1.4, "backward": 2.0, "winograd": 0.7}


def winograd_applies(x_shape, w_shape, stride, dilation):
    return w_shape[2:] == (3, 3) and stride == 1 and dilation == 1


def winograd_judged(x_shape, w_shape, quick):
    """The winograd target is about 3x3, stride 1, 64 in and 64 out channels (any shape in --quick)."""
    return quick or (x_shape[1] == 64 and w_shape[0] == 64)


def blas_text() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, kernel (architecture), threads."""
    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    coretype = {v: os.environ.get(v, "unset") for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    found = "; ".join(f"{p['internal_api']} {p.get('version')} kernel {p.get('architecture', '?')}, "
                      f"{p.get('threading_layer', '?')}, {p['num_threads']} thread(s)" for p in pools) or "no BLAS pool found"
    return f"{found} | " + ", ".join(f"{k}={v}" for k, v in coretype.items())


def timed(fn) -> tuple[float, float]:
    """One call of ``fn``: (wall seconds, CPU seconds of this process)."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    c1, w1 = time.process_time(), time.perf_counter()
    return w1 - w0, c1 - c0


def check_close(name, got, want):
    """float32 agreement, relative to the size of the result (sums of hundreds of products)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    scale = max(float(np.abs(want).max()), 1.0)
    err = float(np.abs(got - want).max()) / scale
    if not (got.shape == want.shape and err < 1e-4):
        raise SystemExit(f"{name}: result differs from PyTorch (shape {got.shape} vs {want.shape}, max rel err {err:.2e})")


def measure(x_shape, w_shape, stride, padding, dilation, rounds):
    x, w, b = inputs(x_shape, w_shape)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    args = (stride, padding, dilation)

    # Backward, torch side: the graph is built once here; only torch.autograd.grad is timed
    # (dx, dw, db for a given dy), with retain_graph so that the same graph serves every round.
    xr, wr, br = (t.clone().requires_grad_() for t in (xt, wt, bt))
    y_graph = F.conv2d(xr, wr, br, *args)
    dy = np.random.default_rng(1).standard_normal(tuple(y_graph.shape)).astype(np.float32)
    dyt = torch.from_numpy(dy)

    # BLAS floor of the forward: just the GEMM conv2d's einsum runs, (C_out, C*kh*kw) @ im2col
    # per image, on an im2col matrix built beforehand (not part of any target, it explains them).
    cols = ref.im2col_strided(x, w_shape[2:], stride, padding, dilation)
    w_mat = w.reshape(w_shape[0], -1)

    fns = {
        "conv2d": lambda: conv2d(x, w, b, *args),
        "torch": lambda: F.conv2d(xt, wt, bt, *args),
        "gemm": lambda: np.matmul(w_mat, cols),
        "backward": lambda: conv2d_backward(dy, x, w, *args),
        "torch_backward": lambda: torch.autograd.grad(y_graph, (xr, wr, br), dyt, retain_graph=True),
    }
    if winograd_applies(x_shape, w_shape, stride, dilation):
        fns["winograd"] = lambda: winograd_conv2d(x, w, b, padding=padding)

    # Warm-up call of each, which doubles as the correctness check.
    y_torch = fns["torch"]().numpy()
    check_close("conv2d", fns["conv2d"](), y_torch)
    grads = [g.numpy() for g in fns["torch_backward"]()]
    for name, got, want in zip(("dx", "dw", "db"), fns["backward"](), grads):
        check_close(f"conv2d_backward {name}", got, want)
    fns["gemm"]()
    if "winograd" in fns:
        check_close("winograd_conv2d", fns["winograd"](), y_torch)

    names = list(fns)
    times = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)  # rotate the order so that no function always runs right after another
        for name in names[shift:] + names[:shift]:
            times[name].append(timed(fns[name]))
    return {clock: {name: float(np.median([t[i] for t in times[name]])) for name in names}
            for i, clock in enumerate(("wall", "cpu"))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, 3 rounds; prints ratios, judges no target")
    parser.add_argument("--rounds", type=int, default=None, help="timed rounds per shape (default 9, quick 3)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="the clock the targets are judged on (default cpu)")
    parser.add_argument("--max-other-cores", type=float, default=MAX_OTHER_CORES,
                        help=f"other work (cores busy on average) above which nothing is judged (default {MAX_OTHER_CORES})")
    opts = parser.parse_args(argv)
    shapes = QUICK_SHAPES if opts.quick else FULL_SHAPES
    rounds = opts.rounds or (3 if opts.quick else 9)
    other = "wall" if opts.clock == "cpu" else "cpu"

    env = environment()
    print("Reference (NumPy) vs PyTorch on the CPU, float32, ONE thread "
          f"(OMP/OPENBLAS/MKL_NUM_THREADS=1, threadpoolctl limit 1, torch.set_num_threads({torch.get_num_threads()}))")
    print(f"{env['cpu']} ({env['cpu_count']} cores) | numpy {env['numpy']} | torch {env['torch']}")
    print(f"numpy BLAS: {blas_text()}")
    print(f"median of {rounds} interleaved rounds per shape, after one warm-up call each; outputs checked against PyTorch")
    print(f"judged on {opts.clock.upper()} time (process CPU seconds: time.process_time); {other} ratios in brackets")
    print(f"at start: {load_text()}")
    other_work = OtherWork()
    print("timed: forward   conv2d(x, w, b, ...)  vs  F.conv2d(x, w, b, ...)")
    print("       backward  conv2d_backward(dy, x, w, ...) -> (dx, dw, db)  vs  torch.autograd.grad(y, (x, w, b), dy)")
    print("                 with y = F.conv2d(x, w, b) built once beforehand (forward not timed)")
    print("       winograd  winograd_conv2d(x, w, b, padding)  vs  conv2d(x, w, b, 1, padding)")
    print("       gemm      the GEMM alone, w (C_out, C*kh*kw) @ im2col (N, C*kh*kw, L) prebuilt: the BLAS floor of conv2d")
    print()
    header = (f"{'convolution':40s} | {'conv2d':>8s} {'F.conv2d':>8s} {'ratio':>6s} {'(' + other + ')':>8s} {'gemm':>6s} | "
              f"{'backward':>8s} {'autograd':>8s} {'ratio':>6s} | {'winograd':>8s} {'ratio':>6s}")
    print(header)
    print("-" * len(header))
    ratios = {key: {"cpu": [], "wall": []} for key in ("forward", "backward", "winograd", "gemm")}
    for x_shape, w_shape, stride, padding, dilation in shapes:
        times = measure(x_shape, w_shape, stride, padding, dilation, rounds)
        for clock, t in times.items():
            ratios["forward"][clock].append(t["conv2d"] / t["torch"])
            ratios["backward"][clock].append(t["backward"] / t["torch_backward"])
            ratios["gemm"][clock].append(t["gemm"] / t["torch"])
        t, fwd, bwd = times[opts.clock], ratios["forward"][opts.clock][-1], ratios["backward"][opts.clock][-1]
        wino = ""
        if "winograd" in t:
            wr = t["winograd"] / t["conv2d"]
            judged = winograd_judged(x_shape, w_shape, opts.quick)
            if judged:
                for clock, tc in times.items():
                    ratios["winograd"][clock].append(tc["winograd"] / tc["conv2d"])
            wino = f"{t['winograd'] * 1e3:6.1f}ms {wr:5.2f}x" + ("" if judged else " (info: not 64 ch)")
        print(f"{conv_text(x_shape, w_shape, stride, padding, dilation):40s} | "
              f"{t['conv2d'] * 1e3:6.1f}ms {t['torch'] * 1e3:6.1f}ms {fwd:5.2f}x {'(' + format(ratios['forward'][other][-1], '.2f') + 'x)':>8s} "
              f"{ratios['gemm'][opts.clock][-1]:5.2f}x | "
              f"{t['backward'] * 1e3:6.1f}ms {t['torch_backward'] * 1e3:6.1f}ms {bwd:5.2f}x | {wino}", flush=True)

    print("-" * len(header))
    other_cores = other_work.cores()
    other_text = "unknown" if other_cores is None else f"{other_cores:.2f} cores busy on average"
    print(f"at end: {load_text()} (this script keeps one core busy; more means other work shared the machine)")
    print(f"other work during the run (/proc/stat, all cores, less this process): {other_text}")
    print(f"BLAS floor of the forward (GEMM alone / F.conv2d), geometric mean: {geomean(ratios['gemm'][opts.clock]):.2f}x")
    missed = []
    verdicts = (("forward", "worst shape", "conv2d / F.conv2d", max),
                ("backward", "geometric mean", "conv2d_backward / autograd", geomean),
                ("winograd", "geometric mean", "winograd_conv2d / conv2d (3x3 s1, 64 ch)", geomean))
    for key, how, label, combine in verdicts:
        got, aside = combine(ratios[key][opts.clock]), combine(ratios[key][other])
        ok = got <= TARGETS[key]
        judged = "met" if ok else "MISSED"
        if opts.quick:
            judged = "not judged (--quick)"
        elif is_busy(other_cores, opts.max_other_cores):
            judged = ("met" if ok else "missed") + " (busy machine: not judged)"
        if not ok:
            missed.append(key)
        print(f"{how:14s} {label:42s} {got:5.2f}x ({other} {aside:4.2f}x)   target <= {TARGETS[key]:.1f}x   {judged}")
    if opts.quick:
        print("quick mode: small shapes, targets are only judged in the full run")
        return 0
    code, line = verdict(missed, other_cores, opts.max_other_cores)
    print(line)
    return code


if __name__ == "__main__":
    sys.exit(main())
