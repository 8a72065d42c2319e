"""The reference solution against torch: F.conv2d, F.unfold, F.fold and torch.autograd."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from configs import CONFIGS, config_id, kernel_hw

DTYPES = [np.float32, np.float64]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def make_case(rng, cfg, dtype, bias=True):
    n, c, h, w, co, k, s, p, d, g = cfg
    kh, kw = kernel_hw(k)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((co, c // g, kh, kw)).astype(dtype)
    b = rng.standard_normal(co).astype(dtype) if bias else None
    return x, wt, b, dict(stride=s, padding=p, dilation=d, groups=g)


def torch_conv(x, w, b, stride, padding, dilation, groups):
    t = torch.from_numpy
    return F.conv2d(t(x), t(w), None if b is None else t(b), stride, padding, dilation, groups).numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
@pytest.mark.parametrize("fn_name", ["conv2d", "conv2d_gemm"])
def test_numpy_conv_matches_torch(ref, rng, cfg, dtype, fn_name):
    x, w, b, kw = make_case(rng, cfg, dtype)
    y = getattr(ref, fn_name)(x, w, b, **kw)
    assert type(y) is np.ndarray and y.dtype == dtype
    np.testing.assert_allclose(y, torch_conv(x, w, b, **kw), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("cfg", [c for c in CONFIGS if c[-1] == 1], ids=config_id)
def test_naive_matches_torch(ref, rng, cfg, dtype):
    x, w, b, kw = make_case(rng, cfg, dtype)
    kw.pop("groups")
    y = ref.conv2d_naive(x, w, b, **kw)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, torch_conv(x, w, b, groups=1, **kw), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_unfold_forward_and_autograd(ref, rng, cfg, dtype):
    x, w, b, kw = make_case(rng, cfg, dtype)
    leaves = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    mine = ref.conv2d_unfold(*leaves, **kw)
    expected_leaves = [torch.from_numpy(a).requires_grad_() for a in (x, w, b)]
    expected = F.conv2d(*expected_leaves, kw["stride"], kw["padding"], kw["dilation"], kw["groups"])
    torch.testing.assert_close(mine, expected, **TOL[dtype])
    dy = torch.from_numpy(rng.standard_normal(tuple(expected.shape)).astype(dtype))
    grads = torch.autograd.grad(mine, leaves, dy)
    expected_grads = torch.autograd.grad(expected, expected_leaves, dy)
    for got, want in zip(grads, expected_grads):
        torch.testing.assert_close(got, want, **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_backward_matches_autograd(ref, rng, cfg, dtype):
    x, w, b, kw = make_case(rng, cfg, dtype, bias=True)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, kw["stride"], kw["padding"], kw["dilation"], kw["groups"])
    dy = rng.standard_normal(tuple(y.shape)).astype(dtype)
    want = torch.autograd.grad(y, (xt, wt, bt), torch.from_numpy(dy))
    got = ref.conv2d_backward(dy, x, w, **kw)
    assert len(got) == 3
    for g, t in zip(got, want):
        assert g.dtype == dtype and g.shape == tuple(t.shape)
        np.testing.assert_allclose(g, t.numpy(), **TOL[dtype])


@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
@pytest.mark.parametrize("fn_name", ["im2col_loop", "im2col_strided"])
def test_im2col_matches_unfold(ref, rng, cfg, fn_name):
    n, c, h, w, _, k, s, p, d, _ = cfg
    x = rng.standard_normal((n, c, h, w))
    cols = getattr(ref, fn_name)(x, k, s, p, d)
    expected = F.unfold(torch.from_numpy(x), kernel_hw(k), d, p, s).numpy()
    assert cols.shape == expected.shape
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("cfg", CONFIGS, ids=config_id)
def test_col2im_matches_fold_and_is_the_adjoint(ref, rng, cfg):
    n, c, h, w, _, k, s, p, d, _ = cfg
    kh, kw = kernel_hw(k)
    x = rng.standard_normal((n, c, h, w))
    cols = rng.standard_normal(ref.im2col_strided(x, k, s, p, d).shape)
    folded = ref.col2im(cols, x.shape, k, s, p, d)
    expected = F.fold(torch.from_numpy(cols), (h, w), (kh, kw), d, p, s).numpy()
    np.testing.assert_allclose(folded, expected, rtol=1e-12, atol=1e-12)
    # <im2col(x), cols> == <x, col2im(cols)>
    np.testing.assert_allclose(np.vdot(ref.im2col_strided(x, k, s, p, d), cols), np.vdot(x, folded), rtol=1e-10)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("cfg", [c for c in CONFIGS if kernel_hw(c[5]) == (3, 3) and c[-1] == 1], ids=config_id)
def test_winograd_matches_torch(ref, rng, cfg, dtype):
    n, c, h, w, co, _, _, p, _, _ = cfg
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((co, c, 3, 3)).astype(dtype)
    b = rng.standard_normal(co).astype(dtype)
    y = ref.winograd_conv2d(x, wt, b, padding=p)
    assert y.dtype == dtype
    np.testing.assert_allclose(y, torch_conv(x, wt, b, 1, p, 1, 1), **TOL[dtype])


def test_winograd_tile_and_matrices(ref, rng):
    BT, G, AT = ref.winograd_f23_matrices()
    assert (BT.shape, G.shape, AT.shape) == ((4, 4), (4, 3), (2, 4))
    for _ in range(5):
        d, g = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
        direct = torch_conv(d[None, None], g[None, None], None, 1, 0, 1, 1)[0, 0]
        np.testing.assert_allclose(ref.winograd_tile(d, g), direct, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_variants_match_torch(ref, rng, dtype):
    x = rng.standard_normal((2, 6, 9, 8)).astype(dtype)
    w1 = rng.standard_normal((5, 6, 1, 1)).astype(dtype)
    b1 = rng.standard_normal(5).astype(dtype)
    np.testing.assert_allclose(ref.conv1x1(x, w1, b1), torch_conv(x, w1, b1, 1, 0, 1, 1), **TOL[dtype])
    wd = rng.standard_normal((6, 1, 3, 3)).astype(dtype)
    bd = rng.standard_normal(6).astype(dtype)
    for s, p, d in [(1, 1, 1), (2, 0, 1), (1, 2, 2)]:
        np.testing.assert_allclose(ref.depthwise_conv2d(x, wd, bd, s, p, d), torch_conv(x, wd, bd, s, p, d, 6), **TOL[dtype])
        expected = torch_conv(torch_conv(x, wd, None, s, p, d, 6), w1, None, 1, 0, 1, 1)
        np.testing.assert_allclose(ref.separable_conv2d(x, wd, w1, s, p, d), expected, **TOL[dtype])


def test_parameter_counts_match_torch_modules(ref):
    for c_in, c_out, k, g, bias in [(256, 256, 3, 1, False), (64, 128, (3, 5), 4, True), (32, 32, 3, 32, False)]:
        layer = torch.nn.Conv2d(c_in, c_out, k, groups=g, bias=bias)
        assert ref.conv2d_params(c_in, c_out, k, g, bias) == sum(p.numel() for p in layer.parameters())
    for c_in, c_out, k in [(256, 256, 3), (512, 512, 3), (32, 64, (3, 5))]:
        dw = torch.nn.Conv2d(c_in, c_in, k, groups=c_in, bias=False)
        pw = torch.nn.Conv2d(c_in, c_out, 1, bias=False)
        assert ref.separable_params(c_in, c_out, k) == sum(p.numel() for m in (dw, pw) for p in m.parameters())
    assert ref.separable_params(256, 256, 3) == 67_840


def test_cost_counts(ref, rng):
    for cfg in CONFIGS:
        n, c, h, w, co, k, s, p, d, g = cfg
        kh, kw = kernel_hw(k)
        y = torch_conv(*make_case(rng, cfg, np.float64)[:3], s, p, d, g)
        assert ref.conv2d_macs((n, c, h, w), (co, c // g, kh, kw), s, p, d, g) == y.size * (c // g) * kh * kw
        sh, ph, dh = (v if isinstance(v, int) else v[0] for v in (s, p, d))
        assert ref.conv_output_size(h, kh, sh, ph, dh) == y.shape[2]
    # the ResNet-50 stem: 7x7/2, pad 3, 3 -> 64 channels on 224x224: 118,013,952 MACs
    assert ref.conv2d_macs((1, 3, 224, 224), (64, 3, 7, 7), 2, 3) == 112 * 112 * 64 * 3 * 49


def test_layout_strides_match_torch(ref, rng):
    for shape in [(2, 3, 4, 5), (1, 64, 7, 7), (8, 1, 1, 3)]:
        assert ref.strides_nchw(shape) == torch.empty(shape).stride()
        assert ref.strides_nhwc(shape) == torch.empty(shape).to(memory_format=torch.channels_last).stride()
        x = rng.standard_normal(shape)
        y = ref.to_channels_last(x)
        assert y.shape == x.shape and np.array_equal(y, x)
        # the stride of a length-1 axis is never used, and NumPy is free to choose it
        used = [i for i, size in enumerate(shape) if size > 1]
        got = tuple(s // y.itemsize for s in y.strides)
        assert [got[i] for i in used] == [ref.strides_nhwc(shape)[i] for i in used]


def test_benchmark_functions(ref):
    import time

    calls = []

    def sleepy(seconds):
        calls.append(seconds)
        time.sleep(seconds)

    t = ref.time_callable(sleepy, 0.01, repeats=5, warmup=2)
    assert len(calls) == 7 and 0.009 < t < 0.1
    rows = ref.benchmark_table((1, 2, 12, 12), (3, 2, 3, 3), repeats=2)
    names = [r["name"] for r in rows]
    assert names[:4] == ["naive", "im2col_loop", "einsum", "torch_cpu"]
    assert names[4:] == (["cudnn"] if torch.cuda.is_available() else [])
    for r in rows:
        assert set(r) == {"name", "backend", "seconds", "gflops", "speedup"} and r["seconds"] > 0
    assert rows[0]["speedup"] == 1.0
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            ref.benchmark_channels_last((1, 8, 8, 8), (8, 8, 3, 3))


BAD_CALLS = [
    ("conv2d", lambda m, x, w: m.conv2d(x, w[:, :2])),  # channel mismatch
    ("conv2d", lambda m, x, w: m.conv2d(x, w, groups=2)),  # 3 channels, 2 groups
    ("conv2d", lambda m, x, w: m.conv2d(x, np.ones((4, 3, 9, 9)))),  # output below 1
    ("conv2d", lambda m, x, w: m.conv2d(x[0], w)),  # wrong ndim
    ("conv2d", lambda m, x, w: m.conv2d(x, w, stride=0)),
    ("conv2d", lambda m, x, w: m.conv2d(x, w, padding=-1)),
    ("conv2d", lambda m, x, w: m.conv2d(x, w, np.ones(3))),  # bias shape
    ("conv2d", lambda m, x, w: m.conv2d(x.tolist(), w)),  # not an array
    ("conv2d_gemm", lambda m, x, w: m.conv2d_gemm(x, w, dilation=(1, 0))),
    ("conv_output_size", lambda m, x, w: m.conv_output_size(3, 5)),
    ("conv_output_size", lambda m, x, w: m.conv_output_size(3, 3, stride=1.5)),
    ("im2col_loop", lambda m, x, w: m.im2col_loop(x, 9)),
    ("sliding_windows", lambda m, x, w: m.sliding_windows(x, (3, 3, 3))),
    ("col2im", lambda m, x, w: m.col2im(np.ones((1, 27, 5)), x.shape, 3)),
    ("conv2d_backward", lambda m, x, w: m.conv2d_backward(np.ones((2, 4, 3, 3)), x, w)),
    ("winograd_conv2d", lambda m, x, w: m.winograd_conv2d(x, np.ones((4, 3, 5, 5)))),
    ("depthwise_conv2d", lambda m, x, w: m.depthwise_conv2d(x, w)),
    ("conv2d_params", lambda m, x, w: m.conv2d_params(6, 4, 3, groups=4)),
    ("strides_nhwc", lambda m, x, w: m.strides_nhwc((2, 3, 4))),
]


@pytest.mark.parametrize("name,call", BAD_CALLS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(BAD_CALLS)])
def test_bad_arguments_raise_value_error(ref, rng, name, call):
    x = rng.standard_normal((2, 3, 6, 6))
    w = rng.standard_normal((4, 3, 3, 3))
    with pytest.raises(ValueError) as info:
        call(ref, x, w)
    assert len(str(info.value)) > 15  # a message that says what is wrong, not a bare ValueError


def test_unfold_rejects_numpy_input(ref, rng):
    with pytest.raises(ValueError, match="torch.Tensor"):
        ref.conv2d_unfold(rng.standard_normal((1, 1, 5, 5)), torch.ones(1, 1, 3, 3))


def test_conv2d_unfold_uses_no_convolution_op(ref, rng):
    from torch.utils._python_dispatch import TorchDispatchMode

    class Recorder(TorchDispatchMode):
        ops: list = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Recorder.ops.append(str(func))
            return func(*args, **(kwargs or {}))

    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    w = torch.randn(4, 3, 3, 3, requires_grad=True)
    with Recorder():
        ref.conv2d_unfold(x, w, None, 1, 1).sum().backward()
    assert Recorder.ops and not [op for op in Recorder.ops if "conv" in op]
