"""Whose code a frame runs, decided by what the code is, not by the name it carries; and the
threads student code starts, observed like the main thread.

Runs inside the child (part of the runtime package). A code object's file name is whatever
``compile()``, ``code.replace()`` or a crafted ``.pyc`` made it, so a name proves nothing. Code
counts as the grader's or a library's only when it is, object for object, code that Python
compiles from a file that the child cannot write (the Python installation, the runtime package,
the grader's trusted files in the package, the interpreter's frozen modules) or the grader's
stand-ins. Everything else is the student's: the staged files, and whatever code student code
compiles, execs, unmarshals or builds at run time, under any file name.

Threads: ``_thread.start_new_thread`` (which ``threading`` and ``concurrent.futures`` use) is
replaced by one that starts every new thread inside :func:`run_observed`, which installs the
child's trace function (line count, forbidden frames) and the child's per-thread probes before
the thread's own code runs. Its frame stays at the bottom of the thread's stack and says whether
student code started the thread, so the guard judges that thread's requests as the student's.
The real ``start_new_thread`` is kept only in a generator's frame (``gi_frame``: refused).
"""
from __future__ import annotations

import _imp
import _thread
import functools
import importlib.util
import marshal
import os
import sys
import threading
import types

_CODE = types.CodeType
_LOADS, _MAGIC = marshal.loads, importlib.util.MAGIC_NUMBER
STANDINS_FILE = "<grader stand-ins>"
FROZEN_ALIASES = {"importlib._bootstrap": "_frozen_importlib", "importlib._bootstrap_external": "_frozen_importlib_external"}


def nested_codes(code) -> frozenset:
    """``code`` and every code object inside it (functions, classes, comprehensions)."""
    found, todo = [], [code]
    while todo:
        c = todo.pop()
        found.append(c)
        todo += [k for k in c.co_consts if type(k) is _CODE]
    return frozenset(found)


@functools.lru_cache(maxsize=None)
def genuine_codes(path: str) -> frozenset:
    """The code objects Python makes of the file ``path`` (its fresh cached bytecode, else its
    source) or of the frozen module ``<frozen name>``; empty if there is no such file."""
    if path.startswith("<frozen ") and path.endswith(">"):
        name = path[len("<frozen "):-1]
        for candidate in (name, FROZEN_ALIASES.get(name)):
            try:
                return nested_codes(_imp.get_frozen_object(candidate))
            except (ImportError, TypeError):
                continue
        return frozenset()
    try:
        stat = os.stat(path)
        with open(path, "rb") as f:
            source = f.read()
    except (OSError, ValueError):
        return frozenset()
    code = None
    try:  # the timestamp-checked .pyc the import system itself would use
        with open(importlib.util.cache_from_source(path), "rb") as f:
            data = f.read()
        header = [int.from_bytes(data[i:i + 4], "little") for i in (4, 8, 12)]
        if data[:4] == _MAGIC and header == [0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size & 0xFFFFFFFF]:
            code = _LOADS(data[16:])
    except (OSError, ValueError, EOFError, TypeError, NotImplementedError):
        code = None
    if type(code) is not _CODE:
        try:
            code = compile(source, path, "exec", dont_inherit=True)
        except Exception:  # noqa: BLE001 - not Python: nothing in it is genuine
            return frozenset()
    return nested_codes(code)


def _is_student(config: tuple, code) -> bool:
    """Not the student's only when genuine: compiled by Python from a file the child cannot write."""
    package_prefix, trusted_files, readonly_prefixes, standins = config
    filename = code.co_filename
    if type(filename) is not str:
        return True
    if filename == STANDINS_FILE:
        return code not in standins
    if filename.startswith(package_prefix) and filename not in trusted_files:
        return True
    if filename in trusted_files or filename.startswith(readonly_prefixes) or filename.startswith("<frozen "):
        return code not in genuine_codes(filename)
    return True


def student_code_test(package_dir: str, trusted_files, readonly_paths, standin_codes=frozenset()):
    """``is_student(code) -> bool``, cached per code object (an ``lru_cache``: its cache cannot be
    written from Python, only cleared)."""
    prefixes = tuple(os.path.join(p, "") for p in readonly_paths if p)
    config = (os.path.join(package_dir, ""), frozenset(trusted_files), prefixes, frozenset(standin_codes))
    return functools.lru_cache(maxsize=None)(types.MethodType(_is_student, config))


# ---------------------------------------------------------------- threads
def run_observed(by_student: bool, trace, probes, function, args, kwargs):
    """The bottom frame of every thread started in the child: the child's trace function and
    probes first, then the thread's own code. ``by_student`` is read by the guard (guard.Watch)."""
    with probes():  # entered before the trace function: its own torch frames are not the thread's doing
        sys.settrace(trace)
        try:
            return function(*args, **kwargs)
        finally:
            sys.settrace(None)


RUN_OBSERVED = run_observed.__code__


def _relay(start, trace, probes, started_by_student):
    """Starts threads with what it is sent, ``(function, args, kwargs)``; the real
    ``start_new_thread`` lives only in this frame."""
    reply = None
    while True:
        function, args, kwargs = yield reply
        try:
            reply = (True, start(run_observed, (started_by_student(), trace, probes, function, tuple(args), dict(kwargs or {}))))
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller; the relay lives on
            reply = (False, exc)


def _start_observed(send, function, args, kwargs=None):
    ok, value = send((function, args, kwargs))
    if not ok:
        raise value
    return value


def student_on_stack(is_student) -> bool:
    """Whether code of the student's is on the calling thread's stack, or started that thread."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is RUN_OBSERVED:
            return bool(frame.f_locals.get("by_student"))
        if is_student(frame.f_code):
            return True
        frame = frame.f_back
    return False


def observe_threads(trace, probes, is_student) -> None:
    """From now on every thread of this process starts inside :func:`run_observed`.

    ``trace``: the trace function each new thread runs under; ``probes()``: a context manager
    entered in each new thread; ``is_student(code)``: whose code a frame runs. A fresh ``_thread``
    or ``_imp`` module (``importlib.util.module_from_spec``) would hold the real functions:
    creating one returns the module already loaded.
    """
    relay = _relay(_thread.start_new_thread, trace, probes, types.MethodType(student_on_stack, is_student))
    next(relay)
    start = types.MethodType(_start_observed, relay.send)
    for module, name in ((_thread, "start_new_thread"), (_thread, "start_new"), (threading, "_start_new_thread")):
        if hasattr(module, name):
            setattr(module, name, start)
    create = _builtin_relay(_imp.create_builtin, (("_thread", _thread), ("_imp", _imp)))
    next(create)
    _imp.create_builtin = types.MethodType(_create_builtin, create.send)


def _builtin_relay(create, loaded):
    """``_imp.create_builtin`` for what it is sent, except that ``_thread`` and ``_imp`` are the
    modules loaded now (the real function lives only in this frame)."""
    reply = None
    while True:
        spec = yield reply
        name = getattr(spec, "name", None)
        try:
            reply = (True, next((module for known, module in loaded if known == name), None) or create(spec))
        except BaseException as exc:  # noqa: BLE001
            reply = (False, exc)


def _create_builtin(send, spec):
    ok, value = send(spec)
    if not ok:
        raise value
    return value
