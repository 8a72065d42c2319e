"""The source of the master notebook ``solutions/conv_gemm.ipynb``, in Otter Assign's format (v1).

The master is built here cell by cell with nbformat, so that it can be reviewed as Python; the
committed ``.ipynb`` is this module's output (``tools/make_notebook.py`` writes it, then runs
``otter assign`` on it to produce the student notebook ``assignments/conv_gemm.ipynb`` and the
grading material under ``autograder/notebook/``).

Otter Assign's format, as used here:

- the first (raw) cell is the ``# ASSIGNMENT CONFIG`` (YAML);
- a question is a raw ``# BEGIN QUESTION`` cell (YAML: ``name``, ``points``, ``manual``), its prompt
  (markdown), its solution between raw ``# BEGIN SOLUTION`` / ``# END SOLUTION`` cells (only cells
  in such a block are stripped: in a code cell, lines ending in ``# SOLUTION`` become ``name = ...``
  and ``# BEGIN SOLUTION NO PROMPT`` ... ``# END SOLUTION`` lines disappear; a manual question's
  markdown answer becomes a "type your answer here" cell), then ``# BEGIN TESTS`` ...
  ``# END TESTS`` and ``# END QUESTION``;
- a test cell is a code cell (OK format): its code becomes a doctest whose expected output is the
  cell's output, which is written here (``True``) rather than recorded by running the notebook.
  A ``# BEGIN TEST CONFIG`` ... ``# END TEST CONFIG`` header (a string statement) sets ``hidden``
  and ``points``.

Public tests check only the type and format of an answer; hidden tests check the value. Public
test cases come first in every question (Otter pairs a question's ``points`` list with its test
cases in order, also when it drops the hidden ones from the student notebook).

The answers to the conceptual questions are plain variables, so they never depend on the
student's package: a broken ``conv2d`` still leaves those points to be earned.
"""
from __future__ import annotations

import textwrap

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

NOTEBOOK_NAME = "conv_gemm.ipynb"
ASSIGNMENT_NAME = "conv_gemm"
FIGURE_TAG = "im2col-figure"  # the cell whose PNG output becomes docs/im2col_unroll.png

ASSIGNMENT_CONFIG = """\
# ASSIGNMENT CONFIG
name: conv_gemm
init_cell: true
check_all_cell: false
export_cell: false
run_tests: false
solutions_pdf: false
template_pdf: false
generate: false
tests:
  files: false
  ok_format: true
"""

# Question name -> (points, manual). Points of autograded questions sum to 10.
QUESTIONS = {
    "q_stem": (2, False),
    "q_readonly": (2, False),
    "q_backward": (2, False),
    "q_separable": (3, False),
    "q_quick_check": (1, False),
    "q_slower": (2, True),
}


PROMPTS: dict[str, str] = {}  # question name -> its prompt (markdown), filled as the cells are built


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str, **metadata):
    return new_markdown_cell(_dedent(text), metadata=metadata)


def code(text: str, tags: tuple[str, ...] = ()):
    metadata = {"tags": list(tags)} if tags else {}
    return new_code_cell(_dedent(text), metadata=metadata)


def raw(text: str):
    return new_raw_cell(_dedent(text))


def otter_test(expression: str, *, hidden: bool, points: float):
    """One OK-format test case: ``expression`` (last line) must print ``True``."""
    header = f'""" # BEGIN TEST CONFIG\nhidden: {str(hidden).lower()}\npoints: {points}\n""" # END TEST CONFIG\n'
    cell = new_code_cell(header + _dedent(expression))
    cell.outputs = [new_output("execute_result", data={"text/plain": "True"}, execution_count=None)]
    return cell


def question(name: str, prompt: list, solution: list, tests: list) -> list:
    points, manual = QUESTIONS[name]
    PROMPTS[name] = "\n\n".join(cell.source for cell in prompt)
    cells = [raw(f"# BEGIN QUESTION\nname: {name}\npoints: {points}" + ("\nmanual: true" if manual else ""))]
    cells += prompt
    # Only cells inside a SOLUTION block are stripped from the student notebook (code and markdown alike).
    cells += [raw("# BEGIN SOLUTION"), *solution, raw("# END SOLUTION")]
    if not manual:
        cells += [raw("# BEGIN TESTS"), *tests, raw("# END TESTS")]
    cells.append(raw("# END QUESTION"))
    return cells


# ---------------------------------------------------------------------------------------------
# The notebook, section by section.

INTRO = [
    md(
        """
        # Convolution as GEMM: the notebook

        This notebook sits next to your package `conv_gemm/` and uses **your** functions: the cost of
        the loop, the im2col unroll of the canonical 5x5 example, your `conv2d` against PyTorch, the
        backward pass, a small benchmark and the NCHW / NHWC strides. Functions you have not written
        yet print one line (`skipped: ... not implemented yet`) instead of a traceback, so the
        notebook always runs to the end: re-run it as you fill in the package.

        The **questions** are answered by setting a variable in the cell below each prompt (replace
        the `...`). Check the format of an answer with `grader.check("q_name")`; those public checks
        only look at types and formats, the values are graded after the deadline. One question is an
        open, written answer, graded by hand.

        Submit this notebook, `conv_gemm.ipynb`, together with your `conv_gemm/` package.
        """
    ),
    code(
        '''
        import numpy as np
        import matplotlib.pyplot as plt
        import torch
        import torch.nn.functional as F

        import conv_gemm
        from conv_gemm import canonical


        def attempt(fn, *args, **kwargs):
            """Call one of your conv_gemm functions; while it is a stub, print one line and return None."""
            try:
                return fn(*args, **kwargs)
            except NotImplementedError as exc:
                print(f"skipped: {exc or fn.__name__ + ' is not implemented yet'}")
                return None
        '''
    ),
]

COST = [
    md(
        r"""
        ## 1. The cost of the naive loop

        A convolution layer maps $x: (N, C_{in}, H, W)$ with weights $w: (C_{out}, C_{in}, k_h, k_w)$ to
        $y: (N, C_{out}, H_o, W_o)$ with

        $$H_o = \left\lfloor \frac{H + 2p - d(k_h - 1) - 1}{s} \right\rfloor + 1 .$$

        Every output element is one dot product of length $C_{in} k_h k_w$: the layer costs
        $N \cdot C_{out} \cdot H_o W_o \cdot C_{in} k_h k_w$ multiply-accumulates (MACs), and one MAC is
        **two** floating-point operations (a multiply and an add).

        The first layer of ResNet-50 (the "stem") is a 7x7 convolution, stride 2, padding 3, from 3 to 64
        channels, on a 224x224 image. Your `conv2d_macs` counts it below; then your `conv2d_naive` is timed
        on a much smaller layer to see how fast four Python loops go, and what that speed means for the stem.
        """
    ),
    code(
        """
        stem_x, stem_w = (1, 3, 224, 224), (64, 3, 7, 7)
        stem_macs = attempt(conv_gemm.conv2d_macs, stem_x, stem_w, stride=2, padding=3)
        if stem_macs is not None:
            print(f"ResNet-50 stem: {stem_macs:,} MACs = {2 * stem_macs:,} FLOPs")
            rng = np.random.default_rng(0)
            small_x = rng.standard_normal((1, 3, 16, 16))
            small_w = rng.standard_normal((8, 3, 3, 3))
            small_macs = conv_gemm.conv2d_macs(small_x.shape, small_w.shape)
            seconds = attempt(conv_gemm.time_callable, conv_gemm.conv2d_naive, small_x, small_w, repeats=3, warmup=0)
            if seconds is not None:
                rate = 2 * small_macs / seconds
                print(f"naive loop on x {small_x.shape}, w {small_w.shape}: {seconds * 1e3:.1f} ms, {rate / 1e6:.1f} MFLOP/s")
                print(f"at that rate the stem alone would take about {2 * stem_macs / rate:.0f} s per image")
        """
    ),
    *question(
        "q_stem",
        [
            md(
                """
                **Question (q_stem).** Work it out by hand, without running your functions: what is the output
                height (= width) of the ResNet-50 stem described above, and how many **FLOPs** does the layer cost
                for one 224x224 RGB image? Set `stem_out` and `stem_flops` to ints.
                """
            )
        ],
        [
            code(
                """
                stem_out = (224 + 2 * 3 - 7) // 2 + 1  # SOLUTION
                stem_flops = 2 * 64 * stem_out * stem_out * 3 * 7 * 7  # SOLUTION
                """
            )
        ],
        [
            otter_test(
                """
                import numbers
                all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in (stem_out, stem_flops))
                """,
                hidden=False,
                points=0.5,
            ),
            otter_test("int(stem_out) == 112", hidden=True, points=0.5),
            otter_test("int(stem_flops) == 236027904", hidden=True, points=1),
        ],
    ),
]

IM2COL = [
    md(
        r"""
        ## 2. The unroll: im2col on the canonical 5x5

        im2col copies every receptive field (the 3x3 patch under the kernel at one output position) into one
        **column** of a matrix. For the canonical 5x5 image and a 3x3 kernel there are 3x3 = 9 output positions
        and 9 values per patch: a 9x9 matrix. The convolution is then one matrix product, the flattened kernel
        (a 1x9 row) times the 9x9 matrix, and the 9 results, reshaped to 3x3, are the output.

        Below, your `im2col_loop` unrolls the canonical image; the figure shows one patch (left), the column it
        becomes (middle) and the output value it produces with the Sobel-X kernel (right). Change `position`
        to follow another patch.
        """
    ),
    code(
        """
        X, W = canonical.X, canonical.W_SOBEL_X
        cols = attempt(conv_gemm.im2col_loop, X, 3)
        if cols is not None:
            print("cols.shape =", cols.shape)
            print(cols.astype(int))
        """
    ),
    code(
        '''
        def draw_unroll(X, cols, W, position=(0, 0)):
            """Patch (left), its im2col column (middle), the output it produces (right)."""
            kh, kw = W.shape
            ho, wo = X.shape[0] - kh + 1, X.shape[1] - kw + 1
            i, j = position
            k = i * wo + j  # the column of output position (i, j): row-major over output positions
            out = (W.reshape(1, -1) @ cols).reshape(ho, wo)  # the GEMM: (1, 9) @ (9, 9)
            fig, axes = plt.subplots(1, 3, figsize=(12, 4.4), gridspec_kw={"width_ratios": [5, 9, 3]})
            panels = [(X, "input x (5x5): the patch", (j - 0.5, i - 0.5, kw, kh)),
                      (cols, f"im2col(x) (9x9): column {k}", (k - 0.5, -0.5, 1, cols.shape[0])),
                      (out, "w.reshape(1, 9) @ cols -> 3x3", (j - 0.5, i - 0.5, 1, 1))]
            for ax, (data, title, (x0, y0, w, h)) in zip(axes, panels):
                low, high = min(data.min(), 0), max(data.max(), 1)
                ax.imshow(data, cmap="Blues", vmin=low, vmax=high)
                for (r, c), v in np.ndenumerate(data):
                    dark = v > low + 0.6 * (high - low)
                    ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=9, color="white" if dark else "black")
                ax.add_patch(plt.Rectangle((x0, y0), w, h, fill=False, edgecolor="crimson", linewidth=2.5))
                ax.set_title(title, fontsize=10)
                ax.set_xticks(range(data.shape[1]))
                ax.set_yticks(range(data.shape[0]))
            fig.suptitle(f"output ({i}, {j}) = kernel . column {k} = {out[i, j]:g}")
            fig.tight_layout()
            return fig
        '''
    ),
    code(
        """
        position = (0, 0)
        if cols is None:
            print("the figure needs your im2col_loop")
        elif cols.shape != (9, 9):
            print(f"the figure needs a (9, 9) matrix from im2col_loop(X, 3), got {cols.shape}")
        else:
            draw_unroll(X, cols, W, position)
            plt.show()
        """,
        tags=(FIGURE_TAG,),
    ),
    md(
        """
        `im2col_loop` copies: the 9x9 matrix holds 81 numbers for a 25-pixel image, every interior pixel
        appears in up to 9 columns. `sliding_windows` gets the same patches **without copying**, as a view
        made with `np.lib.stride_tricks.as_strided`: `view[i, j, p, q] = x[i*s + p, j*s + q]`, with strides
        chosen so that no byte is moved. It must be created with `writeable=False`.
        """
    ),
    *question(
        "q_readonly",
        [
            md(
                """
                **Question (q_readonly).** Why must the `as_strided` windows be read-only? Set `q_readonly` to the
                letter of the best answer, as a string (for example `"a"`).

                - **a.** NumPy cannot build a writeable view whose strides are not the default C-order strides.
                - **b.** The windows overlap: one element of `x` appears in several windows, so a write through one
                  window would silently change the other windows, and `x` itself.
                - **c.** Read-only arrays are faster to contract in `np.einsum`.
                - **d.** `torch.nn.functional.unfold` returns a read-only tensor, and the results must match it.
                """
            )
        ],
        [code('q_readonly = "b"  # SOLUTION')],
        [
            otter_test(
                'type(q_readonly) is str and q_readonly.strip().lower() in ("a", "b", "c", "d")',
                hidden=False,
                points=0.5,
            ),
            otter_test('type(q_readonly) is str and q_readonly.strip().lower() == "b"', hidden=True, points=1.5),
        ],
    ),
]

CONV2D = [
    md(
        """
        ## 3. Your `conv2d` against `F.conv2d`

        `torch.nn.functional.conv2d` computes a cross-correlation; so must yours, for every stride, padding and
        dilation. The canonical example first (its stride-1 output is known by hand), then random inputs.
        """
    ),
    code(
        """
        y = attempt(conv_gemm.conv2d, canonical.as_nchw(X), canonical.as_nchw(W))
        if y is not None:
            print("canonical, stride 1:\\n", y[0, 0])
            print("equals canonical.Y_STRIDE1:", np.array_equal(y[0, 0], canonical.Y_STRIDE1))

            rng = np.random.default_rng(1)
            x = rng.standard_normal((2, 3, 9, 9))
            w = rng.standard_normal((4, 3, 3, 3))
            b = rng.standard_normal(4)
            settings = [{}, {"stride": 2}, {"padding": 1}, {"dilation": 2}, {"stride": 2, "padding": 1, "dilation": 2}]
            for kwargs in settings:
                ours = conv_gemm.conv2d(x, w, b, **kwargs)
                ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), **kwargs).numpy()
                if ours.shape != ref.shape:
                    print(f"{str(kwargs):48} shape {ours.shape}, F.conv2d gives {ref.shape}")
                else:
                    print(f"{str(kwargs):48} shape {ours.shape}  max |ours - F.conv2d| = {np.abs(ours - ref).max():.1e}")
        """
    ),
]

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
