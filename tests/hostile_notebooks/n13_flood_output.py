# 200 MB printed to stdout and stderr, and a file written past the size limit.
import os
import sys

_line = "x" * 100_000
for _ in range(1000):
    print(_line)
    print(_line, file=sys.stderr)
    os.write(1, b"y" * 100_000)
try:
    with open("big.bin", "wb") as _f:
        for _ in range(100):
            _f.write(b"\0" * (1 << 20))
except OSError:
    pass
