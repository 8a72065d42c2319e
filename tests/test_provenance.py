"""Whose code a frame runs is decided by what the code is (runtime/provenance.py), and threads
started in the child run under its trace function (runtime/probes.py Observer)."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "autograder"))

from grader.runtime.provenance import genuine_codes, student_code_test  # noqa: E402


def _is_student(tmp_path):
    return student_code_test(str(tmp_path), set(), [sys.prefix, sys.base_prefix])


def test_library_code_is_not_the_students_whatever_its_name_says(tmp_path):
    is_student = _is_student(tmp_path)
    numpy_code = np.lib.stride_tricks.as_strided.__code__
    assert not is_student(numpy_code) and not is_student(Path.exists.__code__)
    assert numpy_code in genuine_codes(numpy_code.co_filename)
    # the same name, file and first line, other code: compiled, replaced, rebuilt as a function
    forged = compile("\n" * (numpy_code.co_firstlineno - 1) + "def as_strided(x):\n    return x\n", numpy_code.co_filename, "exec")
    assert is_student(forged) and is_student(forged.co_consts[0])
    replaced = (lambda y: [y for _ in range(3)]).__code__.replace(co_filename=numpy_code.co_filename,
                                                               co_firstlineno=numpy_code.co_firstlineno, co_name="as_strided")
    assert is_student(replaced) and is_student(types.FunctionType(replaced, {}).__code__)
    frozen = sys.modules["_frozen_importlib"]._find_and_load.__code__
    assert not is_student(frozen) and is_student(frozen.replace(co_consts=frozen.co_consts + (None,)))
    (tmp_path / "m.py").write_text("def f():\n    return 1\n")
    assert is_student(compile((tmp_path / "m.py").read_text(), str(tmp_path / "m.py"), "exec"))
    assert is_student(compile("1", "<string>", "exec"))


def test_threads_run_under_the_trace_function_however_they_are_started(tmp_path):
    """Lines of a loop in a threading.Thread, a thread pool, a raw start_new_thread and one from a
    fresh _thread module are all counted, as in the calling thread; a thread's request for a
    process is the student's when student code started the thread."""
    (tmp_path / "student.py").write_text(textwrap.dedent('''
        import _thread, importlib.util, os, threading, time
        from concurrent.futures import ThreadPoolExecutor

        def loop(n=50):
            s = 0
            for i in range(n):
                s += i
            return s

        def raw(module):
            done = []
            module.start_new_thread(lambda: done.append(loop()), ())
            while not done:
                time.sleep(0.001)

        def ways():
            t = threading.Thread(target=loop); t.start(); t.join()
            yield "threading.Thread"
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(loop, [50]))
            yield "ThreadPoolExecutor"
            raw(_thread)
            yield "start_new_thread"
            raw(importlib.util.module_from_spec(importlib.util.find_spec("_thread")))
            yield "a fresh _thread"

        def kill_from_pool():
            with ThreadPoolExecutor(1) as pool:
                return pool.submit(os.kill, os.getpid(), 0).exception()

        def objects_from_pool():
            import gc
            with ThreadPoolExecutor(1) as pool:
                return pool.submit(gc.get_objects).exception()
    '''))
    code = textwrap.dedent(f'''
        import os, sys
        sys.path[:0] = [{str(ROOT / "autograder")!r}, {str(tmp_path)!r}]
        from grader.runtime.guard import EventPipe, Watch
        from grader.runtime.probes import Nothing, Observer
        from grader.runtime.provenance import observe_threads, student_code_test
        r, w = os.pipe()
        is_student = student_code_test({str(tmp_path)!r}, set(), [sys.prefix, sys.base_prefix, {str(ROOT / "autograder")!r}])
        Watch(EventPipe(w), is_student, (sys.prefix,)).install()
        observer = Observer(EventPipe(w).emit, is_student, False)
        observe_threads(observer.counting, Nothing, is_student)
        import student
        ways, before = student.ways(), observer.lines
        for way in ways:
            print(way, observer.lines - before)
            before = observer.lines
        print("kill", type(student.kill_from_pool()).__name__)
        print("objects", type(student.objects_from_pool()).__name__)
        os.close(w)
        print(os.read(r, 1000).decode().strip())
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    lines = out.stdout.split("\n")
    assert len(lines) >= 6, out.stderr
    for line in lines[:4]:
        way, counted = line.rsplit(" ", 1)
        assert int(counted) >= 100, line  # two lines per iteration, 50 iterations
    assert lines[4:6] == ["kill PermissionError", "objects PermissionError"], lines
    assert lines[6:8] == ["tamper os.kill", "tamper gc.get_objects"], lines
