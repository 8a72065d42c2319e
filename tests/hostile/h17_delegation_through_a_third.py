# module: conv2d
# loses: conv2d, exercises
# conv2d hands its work to conv2d_gemm, which hands it to the package's conv2d_naive: the values
# are the student's own (right), but it is the loop baseline, so both method checks must fail.
def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    return conv2d_gemm(x, w, b, stride, padding, dilation, groups)


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    import conv_gemm

    cg, og = x.shape[1] // groups, w.shape[0] // groups
    parts = [conv_gemm.conv2d_naive(x[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og], None if b is None else b[g * og:(g + 1) * og],
                                    stride, padding, dilation) for g in range(groups)]
    return np.concatenate(parts, axis=1)
