# module: cost
# A field attack (tests/test_field.py), appended to the reference: at import, in every child, it
# writes to 1 GiB of private memory, within the grader's per-process allowance (2 GiB) but past
# what a 768 MiB container holds. The kernel's out-of-memory killer then ends the child with
# SIGKILL, which reads like the student's own crash; the gradebook must say that the machine ran
# out of memory (needs_look.csv, exit status 3), not grade it in silence.
import numpy as _np

_TOUCHED = _np.ones(1 << 27)  # 1 GiB of float64, every page written
