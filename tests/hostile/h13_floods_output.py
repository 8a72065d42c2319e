# module: im2col
# loses:
# Prints 50 MB to stdout and stderr on every call, then answers correctly.
import sys as _sys

_reference_im2col_loop = im2col_loop


def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1):
    chunk = "x" * (1 << 20)
    for _ in range(25):
        print(chunk)
        print(chunk, file=_sys.stderr)
    return _reference_im2col_loop(x, kernel_size, stride, padding, dilation)
