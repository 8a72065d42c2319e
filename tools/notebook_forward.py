"""The master notebook's first sections (tools/notebook_source.py): the introduction, the naive
loop's cost, im2col on the canonical 5x5, and conv2d against F.conv2d."""
from __future__ import annotations

from notebook_cells import FIGURE_TAG, code, md, otter_test, question

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
