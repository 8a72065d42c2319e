# module: im2col
# loses:
# needs: landlock
# Passes state from one child to another: every child (each imports this module) leaves a marker
# in its own folder, the scratch folder above it, every sibling folder (another question's child,
# alive at the same time when questions are graded side by side) and the machine's shared
# temporary folders; im2col_loop returns garbage once it finds a marker another child left.
import os as _os

_MARK_PREFIX = "conv-gemm-marker-"
_MARK = f"{_MARK_PREFIX}{_os.getpid()}"


def _places():
    here = _os.getcwd()
    parent = _os.path.dirname(here)
    places = [here, parent, "/tmp", "/dev/shm", "/var/tmp"]
    try:
        places += [_os.path.join(parent, d) for d in _os.listdir(parent)]
    except OSError:
        pass
    return places


def _plant():
    for place in _places():
        try:
            with open(_os.path.join(place, _MARK), "w") as f:
                f.write("x")
        except OSError:
            pass


def _seen() -> bool:
    for place in _places():
        try:
            if any(n.startswith(_MARK_PREFIX) and n != _MARK for n in _os.listdir(place)):
                return True
        except OSError:
            pass
    return False


_plant()
_reference_im2col_loop = im2col_loop


def im2col_loop(x, kernel_size, stride=1, padding=0, dilation=1):
    _plant()
    cols = _reference_im2col_loop(x, kernel_size, stride, padding, dilation)
    return cols + 1 if _seen() else cols
