# module: benchmark
# question: benchmark
# time_callable returns the mean, which one slow call drags up.
import time as _time


def time_callable(fn, *args, repeats=5, warmup=1, cuda=False):
    for _ in range(warmup):
        fn(*args)
    total = 0.0
    for _ in range(repeats):
        start = _time.perf_counter()
        fn(*args)
        total += _time.perf_counter() - start
    return total / repeats
