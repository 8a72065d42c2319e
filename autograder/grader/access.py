"""Who the child runs as and what it may read: the unprivileged sandbox user, the read paths
(never the grader's own folder), the GPU's device files.

Parent side only (the child gets these through its environment).
"""
from __future__ import annotations

import json
import os
import pwd
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

HERE = Path(__file__).resolve().parent

SYSTEM_READ_PATHS = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/etc", "/proc", "/sys/devices/system/cpu",
                     "/dev/urandom", "/dev/zero")
_CHILD_SYS_PATH: list[str] | None = None


def read_paths() -> list[str]:
    """What a child may read under Landlock, as real paths.

    - every entry of ``sys.path`` as the child's interpreter sees it (run with the child's own
      flags, ``-E -s``): the stdlib, lib-dynload, site-packages wherever they live and every
      folder a ``.pth`` file adds;
    - the interpreter's prefixes and the folder of the real executable;
    - the system folders shared libraries and torch read (/usr, /lib, /etc, /proc, ...).

    Dropped from all of these: the grader's own folder, anything inside it and anything that
    holds it (so never the repository's autograder/ nor a student release's root, whose grader/
    sits next to the student's files), the filesystem root, and any folder holding the user's
    home. The package and runner folders are added by the caller.
    """
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths().get(key, ""))
    paths.update(_child_sys_path())
    paths.update(SYSTEM_READ_PATHS)
    real = {os.path.realpath(p) for p in paths if p and os.path.isabs(p) and os.path.exists(p)}
    return sorted(p for p in real if not _inside_grader(p) and not _holds_home(p))


def _child_sys_path() -> list[str]:
    """``sys.path`` of ``sys.executable -E -s`` (probed once); the parent's own, less its additions, if that fails."""
    global _CHILD_SYS_PATH
    if _CHILD_SYS_PATH is None:
        try:
            probe = subprocess.run([sys.executable, "-E", "-s", "-c", "import json, sys; print(json.dumps(sys.path))"],
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, cwd="/")
            _CHILD_SYS_PATH = [p for p in json.loads(probe.stdout) if p] if probe.returncode == 0 else None
        except (OSError, subprocess.SubprocessError, ValueError):
            _CHILD_SYS_PATH = None
        if _CHILD_SYS_PATH is None:
            added = set(os.environ.get("PYTHONPATH", "").split(os.pathsep)) | {site.getusersitepackages()}
            _CHILD_SYS_PATH = [p for p in sys.path if p and p not in added]
    return list(_CHILD_SYS_PATH)


def _inside_grader(path: str) -> bool:
    """True for the grader's folder (it holds the hidden checks), anything inside it, and anything holding it."""
    return _related(os.path.realpath(path), os.path.realpath(HERE))


def _holds_home(path: str) -> bool:
    """True for ``/`` and for any folder that holds (or is) the user's home folder."""
    real = os.path.realpath(path)
    if real == os.path.realpath(os.sep):
        return True
    homes = {os.path.expanduser("~")}
    try:
        homes.add(pwd.getpwuid(os.geteuid()).pw_dir)
    except KeyError:
        pass
    return any(h and h != os.sep and _contains(real, os.path.realpath(h)) for h in homes)


def _contains(outer: str, inner: str) -> bool:
    """``inner`` is ``outer`` or lies under it (both real paths)."""
    return inner == outer or inner.startswith(outer.rstrip(os.sep) + os.sep)


def _related(a: str, b: str) -> bool:
    return _contains(a, b) or _contains(b, a)


class SandboxUnavailable(RuntimeError):
    """Running as root, and no unprivileged user can run this interpreter: student code would run as root."""


_SANDBOX_USER: tuple[int, int] | None | bool = False  # False: not probed yet


def sandbox_user() -> tuple[int, int] | None:
    """``(uid, gid)`` to run children as; None when the grader is not root (children run as the
    grader's own unprivileged user). Under root it never returns None: student code must not run
    as root, so a missing or unusable user raises SandboxUnavailable with what to do."""
    global _SANDBOX_USER
    if _SANDBOX_USER is not False:
        return _SANDBOX_USER
    if os.geteuid() != 0:
        _SANDBOX_USER = None
        return None
    name = os.environ.get("GRADER_SANDBOX_USER") or "nobody"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SandboxUnavailable(f"the grader runs as root and the sandbox user {name!r} does not exist; create it "
                                 "(useradd --system --no-create-home NAME) or set GRADER_SANDBOX_USER") from None
    ids = (entry.pw_uid, entry.pw_gid)
    code = f"import os; os.setgroups([]); os.setgid({ids[1]}); os.setuid({ids[0]}); import numpy, json, statistics"
    try:
        probe = subprocess.run([sys.executable, "-E", "-s", "-c", code], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60, cwd="/")
        ok = probe.returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    if not ok and os.environ.get("GRADER_OWN_CODE") == "1":
        _SANDBOX_USER = None  # `make check`: a student running their own code on their own machine, as root
        return None
    if not ok:
        raise SandboxUnavailable(
            f"the grader runs as root, and the unprivileged user {name!r} cannot run {sys.executable} "
            f"(a folder above {sys.base_prefix} or {sys.prefix} is closed to other users). Student code never runs as "
            "root: run `python tools/sandbox_access.py` (it opens only the traverse bit of those folders), or grade as a "
            "normal user")
    _SANDBOX_USER = ids
    return _SANDBOX_USER
    _SANDBOX_USER = None
    if os.geteuid() != 0 or os.environ.get("GRADER_SANDBOX_USER", "nobody") == "":
        return None
    try:
        entry = pwd.getpwnam(os.environ.get("GRADER_SANDBOX_USER", "nobody"))
    except KeyError:
        return None
    ids = (entry.pw_uid, entry.pw_gid)
    code = f"import os; os.setgroups([]); os.setgid({ids[1]}); os.setuid({ids[0]}); import numpy"
    try:
        probe = subprocess.run([sys.executable, "-E", "-s", "-c", code], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=60, cwd="/")
        if probe.returncode == 0:
            _SANDBOX_USER = ids
    except (OSError, subprocess.SubprocessError):
        pass
    return _SANDBOX_USER


def cuda_devices() -> list[str]:
    """The NVIDIA device files a CUDA child must open (none on a machine without a GPU)."""
    try:
        return sorted(os.path.join("/dev", d) for d in os.listdir("/dev") if d.startswith("nvidia"))
    except OSError:
        return []
