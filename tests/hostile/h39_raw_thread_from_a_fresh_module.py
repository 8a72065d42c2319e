# module: conv2d
# loses: conv2d
# Starts the loop's thread with start_new_thread from a fresh instance of the _thread module
# (importlib.util.module_from_spec), which a patched threading module would not know about.
import importlib.util as _util
import time as _time

_reference_conv2d = conv2d


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    fresh = _util.module_from_spec(_util.find_spec("_thread"))
    y = _reference_conv2d(x, w, b, stride, padding, dilation, groups)
    out = np.zeros_like(y)
    done = []

    def loop():
        for i in range(y.shape[2]):
            for j in range(y.shape[3]):
                out[:, :, i, j] = y[:, :, i, j]
        done.append(True)

    fresh.start_new_thread(loop, ())
    while not done:
        _time.sleep(0.001)
    return out
