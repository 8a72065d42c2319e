# module: conv2d
# loses: conv2d, exercises, variants (every question that calls conv2d)
# flagged: yes
# Sends a signal from a thread pool's worker, where no frame of the student's is on the stack.
import os as _os
from concurrent.futures import ThreadPoolExecutor as _Pool

_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    with _Pool(1) as pool:
        try:
            pool.submit(_os.kill, _os.getppid(), 0).result()
        except Exception:
            pass
    return _reference_conv2d(x, w, b, stride, padding, dilation, groups)
