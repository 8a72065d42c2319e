"""The source of the master notebook ``solutions/conv_gemm.ipynb``, in Otter Assign's format (v1).

The master is built here cell by cell with nbformat, so that it can be reviewed as Python; the
committed ``.ipynb`` is this module's output (``tools/make_notebook.py`` writes it, then runs
``otter assign`` on it to produce the student notebook ``assignments/conv_gemm.ipynb`` and the
grading material under ``autograder/notebook/``).

The cells are written with the helpers of ``tools/notebook_cells.py`` (which also describes
Otter Assign's format as used here); the first sections are in ``tools/notebook_forward.py``.

The answers to the conceptual questions are plain variables, so they never depend on the
student's package: a broken ``conv2d`` still leaves those points to be earned.
"""
from __future__ import annotations

import nbformat
from nbformat.v4 import new_notebook

from notebook_cells import (  # noqa: F401 - the names make_notebook and the tests read here
    ASSIGNMENT_CONFIG, ASSIGNMENT_NAME, FIGURE_TAG, NOTEBOOK_NAME, PROMPTS, QUESTIONS, code, md, otter_test, question, raw)
from notebook_forward import CONV2D, COST, IM2COL, INTRO

# ---------------------------------------------------------------------------------------------
# The notebook's later sections (the first: notebook_forward.py).

BACKWARD = [
    md(
        """
        ## 4. Backward on the canonical example

        With an upstream gradient of ones, `dW` sums every patch of `x` (the same windows as the forward pass),
        and `dx` spreads the kernel back over every window (col2im of `W^T dy`). Both gradients are
        convolutions. Your `conv2d_backward` against the values of the canonical example and against
        `torch.autograd`:
        """
    ),
    code(
        """
        x4, w4 = canonical.as_nchw(X), canonical.as_nchw(W)
        dy = np.ones((1, 1, 3, 3))
        grads = attempt(conv_gemm.conv2d_backward, dy, x4, w4)
        if grads is not None:
            dx, dw, db = grads
            print("dW =\\n", dw[0, 0])
            print("dx =\\n", dx[0, 0])
            print("db =", db)
            xt = torch.from_numpy(x4).requires_grad_()
            wt = torch.from_numpy(w4).requires_grad_()
            F.conv2d(xt, wt).sum().backward()
            print("dW matches canonical.DW_ONES and autograd:",
                  np.array_equal(dw[0, 0], canonical.DW_ONES), np.allclose(dw, wt.grad.numpy()))
            print("dx matches canonical.DX_ONES and autograd:",
                  np.array_equal(dx[0, 0], canonical.DX_ONES), np.allclose(dx, xt.grad.numpy()))
        """
    ),
    *question(
        "q_backward",
        [
            md(
                """
                **Question (q_backward).** A convolution layer's forward pass takes 10 ms. About how many
                milliseconds does its backward pass (computing both `dx` and `dW`) take on the same hardware?
                Set `backward_ms` to a number, and write your argument as a comment in the same cell.
                """
            )
        ],
        [
            code(
                """
                # Your argument, in a few comment lines:
                # BEGIN SOLUTION NO PROMPT
                # dW[o, c, p, q] = sum over n, i, j of x-window * dy: one MAC per (output element, weight) pair,
                # exactly the forward's N*C_out*Ho*Wo*C_in*kh*kw MACs. dx = col2im(W^T dy): every output element
                # sends C_in*kh*kw products back, the same count again (a transposed convolution).
                # Two convolutions of the forward's cost: about 2 x 10 ms = 20 ms.
                # END SOLUTION
                backward_ms = 20  # SOLUTION
                """
            )
        ],
        [
            otter_test(
                """
                import numbers
                isinstance(backward_ms, numbers.Real) and not isinstance(backward_ms, bool) and backward_ms > 0
                """,
                hidden=False,
                points=0.5,
            ),
            otter_test("18 <= float(backward_ms) <= 22", hidden=True, points=1.5),
        ],
    ),
]

BENCHMARK = [
    md(
        """
        ## 5. The same FLOPs, very different times

        Your `benchmark_table` times one convolution on every path: the four loops, im2col + one matmul,
        `np.einsum` on the windowed view, and `F.conv2d` on the CPU (and cuDNN where CUDA is present). The
        shape is kept small so this runs in seconds; try a bigger one (the gaps grow).
        """
    ),
    code(
        """
        rows = attempt(conv_gemm.benchmark_table, (1, 3, 16, 16), (4, 3, 3, 3), repeats=3)
        if rows:
            print(f"{'path':12} {'seconds':>10} {'GFLOP/s':>9} {'speed-up':>9}")
            for row in rows:
                print(f"{row['name']:12} {row['seconds']:10.2e} {row['gflops']:9.3f} {row['speedup']:9.1f}")
            fig, ax = plt.subplots(figsize=(7, 3.2))
            ax.barh([r["name"] for r in rows], [r["gflops"] for r in rows], color="steelblue")
            ax.set_xscale("log")
            ax.invert_yaxis()
            ax.set_xlabel("GFLOP/s (log scale)")
            for k, r in enumerate(rows):
                ax.text(r["gflops"], k, f"  x{r['speedup']:.0f}", va="center", fontsize=9)
            ax.set_title("x (1, 3, 16, 16), w (4, 3, 3, 3): speed-up against the naive loop")
            fig.tight_layout()
            plt.show()
        """
    ),
]

LAYOUT = [
    md(
        """
        ## 6. NCHW and NHWC: the same tensor, different strides

        A tensor is always *indexed* `(N, C, H, W)`; its memory layout decides the strides, the number of
        elements to skip to move one step along each axis. NCHW (PyTorch's default) keeps each channel's
        H x W plane together; NHWC (`channels_last`) keeps the C values of one pixel together, which is what
        tensor-core convolution kernels read on a GPU. Your strides against torch's:
        """
    ),
    code(
        """
        shape = (2, 3, 4, 5)
        t = torch.empty(shape)
        t_cl = t.to(memory_format=torch.channels_last)
        ours_nchw = attempt(conv_gemm.strides_nchw, shape)
        ours_nhwc = attempt(conv_gemm.strides_nhwc, shape)
        print(f"shape {shape}, element strides:")
        print(f"{'':14} {'torch':>18} {'yours':>18}")
        print(f"{'NCHW':14} {str(t.stride()):>18} {str(ours_nchw or '-'):>18}")
        print(f"{'channels_last':14} {str(t_cl.stride()):>18} {str(ours_nhwc or '-'):>18}")
        x_cl = attempt(conv_gemm.to_channels_last, np.zeros(shape))
        if x_cl is not None:
            print("to_channels_last: shape", x_cl.shape, "element strides", tuple(s // x_cl.itemsize for s in x_cl.strides))
        """
    ),
]

SEPARABLE = [
    md(
        """
        ## 7. Depthwise-separable convolution

        MobileNet replaces a dense 3x3 convolution by a **depthwise** 3x3 convolution (one 3x3 filter per
        channel, `groups = C`, no channel mixing) followed by a **pointwise** 1x1 convolution (channel mixing
        only). Neither has a bias here.
        """
    ),
    *question(
        "q_separable",
        [
            md(
                """
                **Question (q_separable).** A 3x3 convolution with 512 input and 512 output channels (stride 1,
                padding 1, no bias) is replaced by a depthwise-separable one. Set `standard_params` to the
                parameter count of the dense layer, `sep_params` to that of the depthwise + pointwise pair
                (ints), and `reduction` to how many times fewer FLOPs the separable version needs per output pixel
                (a float, e.g. `3.21`).
                """
            )
        ],
        [
            code(
                """
                standard_params = 512 * 512 * 3 * 3  # SOLUTION
                sep_params = 512 * 3 * 3 + 512 * 512  # SOLUTION
                reduction = standard_params / sep_params  # SOLUTION
                """
            )
        ],
        [
            otter_test(
                """
                import numbers
                all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in (standard_params, sep_params, reduction))
                """,
                hidden=False,
                points=0.5,
            ),
            otter_test("int(standard_params) == 2359296", hidden=True, points=0.5),
            otter_test("int(sep_params) == 266752", hidden=True, points=1),
            otter_test("abs(float(reduction) - 2359296 / 266752) < 0.05", hidden=True, points=1),
        ],
    ),
    *question(
        "q_quick_check",
        [
            md(
                """
                **Question (q_quick_check).** The quick check of `separable_params`: by hand, how many parameters
                does a depthwise-separable 3x3 layer from 256 to 256 channels have? Set `quick_check` to an int,
                then compare with your function in the cell after.
                """
            )
        ],
        [code("quick_check = 256 * 3 * 3 + 256 * 256  # SOLUTION")],
        [
            otter_test(
                """
                import numbers
                isinstance(quick_check, numbers.Real) and not isinstance(quick_check, bool) and quick_check > 0
                """,
                hidden=False,
                points=0.25,
            ),
            otter_test("int(quick_check) == 67840", hidden=True, points=0.75),
        ],
    ),
    code(
        """
        for fn in (conv_gemm.separable_params, conv_gemm.conv2d_params):
            count = attempt(fn, 256, 256, 3)
            if count is not None:
                print(f"{fn.__name__}(256, 256, 3) = {count:,}")
        """
    ),
    *question(
        "q_slower",
        [
            md(
                """
                **Question (q_slower, graded by hand).** The separable layer needs several times fewer FLOPs.
                When is it nevertheless *slower* in practice, and why? Answer in a few sentences in the cell below.
                """
            )
        ],
        [
            md(
                """
                When the layer is limited by memory traffic or by kernel overheads rather than by arithmetic,
                typically on a GPU (and with small batches or small feature maps). The depthwise convolution
                has a very low arithmetic intensity: each input value is used by only 9 multiply-adds of a
                single channel, with no reuse across channels, so it cannot be cast as a large GEMM and cannot
                keep tensor cores busy; it is bound by memory bandwidth. The separable version also launches two
                kernels and writes, then reads back, the whole intermediate activation. A dense 3x3 convolution
                is one large, highly tuned GEMM (or Winograd) kernel running near peak. So the fewer FLOPs
                can still take as long or longer, unless the two stages are fused or the hardware (or a CPU
                with cache-resident data) is compute-bound.
                """
            )
        ],
        [],
    ),
    md(
        """
        ## Done

        Run every cell once more from the top (Kernel, Restart & Run All), check that each answer passes its
        `grader.check`, and submit `conv_gemm.ipynb` with your `conv_gemm/` package.
        """
    ),
]

CELLS = [raw(ASSIGNMENT_CONFIG), *INTRO, *COST, *IM2COL, *CONV2D, *BACKWARD, *BENCHMARK, *LAYOUT, *SEPARABLE]

METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def build() -> nbformat.NotebookNode:
    """The master notebook (cell ids are numbered by ``tools/make_notebook.py`` when it writes it)."""
    nb = new_notebook(cells=[nbformat.from_dict(c) for c in CELLS], metadata=METADATA)
    return nb
