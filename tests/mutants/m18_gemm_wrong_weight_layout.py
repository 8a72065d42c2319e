# module: conv2d
# question: exercises
# conv2d_gemm flattens the weights kernel-first, so rows of W no longer match im2col's (c, i, j) rows.
_reference_gemm = conv2d_gemm


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    c_out, cg, kh, kw = w.shape
    scrambled = np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(c_out, cg, kh, kw)
    return _reference_gemm(x, scrambled, b, stride, padding, dilation, groups)
