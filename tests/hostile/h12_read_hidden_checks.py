# module: backward
# loses:
# Reads the grader's hidden checks and the reference if it can; if it could, it sabotages
# itself (so the test's "keeps full marks" proves the files were out of reach).
import os as _os
import sys as _sys

_found = []
_here = [_os.path.realpath(_sys.prefix), _os.getcwd()]
_roots = {"/autograder/source"}
for _start in _here:  # every folder above the interpreter and the working folder
    while _start not in ("/", ""):
        _roots.add(_start)
        _start = _os.path.dirname(_start)
for _root in _roots:
    for _rel in ("autograder/grader/hidden_checks.py", "grader/hidden_checks.py", "solutions/conv_gemm/backward.py"):
        try:
            with open(_os.path.join(_root, _rel)) as _f:
                _found.append(_f.read())
        except OSError:
            pass
if _found:
    def conv2d_backward(dy, x, w, stride=1, padding=0, dilation=1, groups=1):
        raise RuntimeError("read %d secret files" % len(_found))
