"""The sandbox against attacks that need a real network or real processes: nothing leaves the
child (UDP, TCP, Unix sockets on 127.0.0.1, inside a private network namespace), nothing it
starts outlives grading, and nothing it writes on its pipes breaks the grader.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from corpus import ROOT, build, corpus
from grader.runtime import wire
from grader.reaper import become_subreaper, reap_orphans

HOSTILE = {p.stem: p for p in corpus("hostile")}

LISTENERS = textwrap.dedent('''
    import dataclasses, json, os, socket, sys, threading, time
    from pathlib import Path
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    received = []

    def serve_udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 47011)); s.settimeout(0.5)
        while not done.is_set():
            try:
                received.append(("udp", len(s.recv(65536))))
            except OSError:
                pass

    def serve_tcp():
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 47012)); s.listen()
        s.settimeout(0.5)
        while not done.is_set():
            try:
                conn, _ = s.accept(); received.append(("tcp", len(conn.recv(65536))))
            except OSError:
                pass

    def serve_unix():
        path = "/tmp/conv-gemm-leak.sock"
        if os.path.exists(path):
            os.unlink(path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(path); os.chmod(path, 0o777); s.settimeout(0.5)
        while not done.is_set():
            try:
                received.append(("unix", len(s.recv(65536))))
            except OSError:
                pass

    done = threading.Event()
    threads = [threading.Thread(target=f) for f in (serve_udp, serve_tcp, serve_unix)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    # the listeners work: a probe from this (trusted) process arrives
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"probe", ("127.0.0.1", 47011))
    time.sleep(0.3)
    from grader.engine import grade_submission
    from grader.sandbox import Limits
    result = grade_submission(Path(sys.argv[3]), seed=5, limits=Limits(call_seconds=10, start_seconds=60), questions=["conv2d"])
    done.set()
    for t in threads:
        t.join()
    print(json.dumps({"received": received, "conv2d": dataclasses.asdict(result.questions["conv2d"])}))
''')


def _root_and_unshare() -> str | None:
    if os.geteuid() != 0:
        return "needs root to make a private network namespace"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs unshare and ip (util-linux, iproute2)"
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return "unshare -n is not permitted here"
    return None


@pytest.mark.slow
def test_student_code_reaches_no_listener_on_any_socket_family(tmp_path):
    why = _root_and_unshare()
    if why:
        pytest.skip(why)
    sub = build(tmp_path / "leaker", HOSTILE["h23_network_exfiltration"])
    script = tmp_path / "listen_and_grade.py"
    script.write_text(LISTENERS)
    proc = subprocess.run(["unshare", "-n", "sh", "-c", f'ip link set lo up && "{sys.executable}" "{script}" '
                           f'"{ROOT / "autograder"}" "{ROOT / "tests"}" "{sub}"'],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    received = [tuple(r) for r in report["received"]]
    assert received == [("udp", 5)], f"something other than the test's own probe arrived: {received}"
    conv2d = report["conv2d"]
    assert conv2d["score"] == 0 and any("socket" in f for f in conv2d["flags"]), conv2d["flags"]


def test_an_orphan_that_left_its_process_group_is_reaped():
    if not become_subreaper():
        pytest.skip("no PR_SET_CHILD_SUBREAPER on this system")
    env = dict(os.environ, GRADER_CHILD="1")
    # the intermediate process starts `sleep` in a new session and exits at once: an orphan
    subprocess.run([sys.executable, "-c", "import subprocess; subprocess.Popen(['sleep', '317'], start_new_session=True)"],
                   env=env, check=True)
    time.sleep(0.3)
    assert _sleepers("317"), "the orphan should exist before it is reaped"
    killed = reap_orphans()
    assert killed and not _sleepers("317")


def test_a_process_of_our_own_is_not_reaped():
    become_subreaper()
    mine = subprocess.Popen(["sleep", "319"])  # a helper of the grader's own: no marker, not the sandbox user
    try:
        assert mine.pid not in reap_orphans()
        assert mine.poll() is None
    finally:
        mine.send_signal(signal.SIGKILL)
        mine.wait()


def _sleepers(tag: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", f"sleep {tag}"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.parametrize("body", [b"[" * 200000 + b"]" * 200000, b"\xff\xfe garbage", b"[1, 2]", b'{"a": ' * 5000])
def test_message_reader_turns_any_garbage_into_a_value_error(body):
    import struct

    reader = wire.MessageReader()
    with pytest.raises(ValueError):
        reader.feed(struct.pack("!Q", len(body)) + body)


def test_message_reader_refuses_a_huge_announced_length():
    reader = wire.MessageReader()
    with pytest.raises(ValueError):
        reader.feed(b"\x7f" * 8 + b"garbage")


def test_audit_hook_refuses_processes_and_flags_only_the_students_own_request(tmp_path):
    """A process asked for by the student's code is refused and reported; one a library asks for on
    its own (matplotlib runs fc-list for fonts) is refused without a report; none starts."""
    student, library = tmp_path / "student", tmp_path / "library"
    student.mkdir()
    library.mkdir()
    (library / "fontlib.py").write_text("import subprocess\ndef fonts():\n    return subprocess.run(['true'])\n")
    (student / "bench.py").write_text("import subprocess, fontlib\ndef direct():\n    subprocess.Popen(['true'])\n"
                                      "def via_library():\n    fontlib.fonts()\n")
    code = textwrap.dedent(f'''
        import os, sys
        sys.path[:0] = [{str(ROOT / "autograder")!r}, {str(library)!r}, {str(student)!r}]
        from grader.runtime.guard import EventPipe, Watch
        r, w = os.pipe()
        Watch(EventPipe(w), lambda c: c.co_filename.startswith({str(student)!r}), (sys.prefix,)).install()
        import bench
        for f in (bench.direct, bench.via_library):
            try:
                f()
                print(f.__name__, "started")
            except PermissionError:
                print(f.__name__, "refused")
        os.close(w)
        print(os.read(r, 1000).decode().strip())
    ''')
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split("\n")
    assert out[:3] == ["direct refused", "via_library refused", "tamper subprocess.Popen"], out


def test_measured_call_times_come_only_as_plain_decimals_and_anything_else_is_tampering():
    from grader.runner import CallEvents

    events = CallEvents([("calltime", "0.003127"), ("calltime", "0.100004"), ("mult", "16")])
    assert events.call_seconds == [0.003127, 0.100004] and events.multiplications == 16 and not events.tamper
    for forged in ("-0.1", "nan", "1e9", "0.1 0.2", "inf", "0x1p-3", "", ".5", "3."):
        events = CallEvents([("calltime", forged)])
        assert events.call_seconds == [] and events.tamper, forged


def test_budget_shares_are_the_old_sequential_ones_and_never_pass_the_end(monkeypatch):
    from grader import engine

    clock = [100.0]
    monkeypatch.setattr(engine.time, "monotonic", lambda: clock[0])
    questions = ["cost", "benchmark", "winograd", "notebook"]  # weights 1, 1.5, 1, 3
    budget = engine.Budget(end=165.0, questions=questions)
    assert budget.deadline("cost") == pytest.approx(100 + 65 * 1 / 6.5)  # one after another: its share of what is left
    clock[0] = 110.0
    assert budget.deadline("benchmark") == pytest.approx(110 + 55 * 1.5 / 5.5)
    assert budget.deadline("winograd") == pytest.approx(110 + 55 * 1 / 4)  # side by side: started at the same time
    clock[0] = 170.0  # past the end: a question that starts now has no time left, never a negative share
    assert budget.deadline("notebook") == 170.0
    with pytest.raises(KeyError):
        budget.deadline("cost")  # a question starts once


def test_remove_tree_removes_any_depth_and_follows_no_link(tmp_path):
    """A child can nest folders past shutil.rmtree's recursion and past PATH_MAX in its work folder."""
    import shutil

    import _pytest.pathlib

    from grader.sandbox import remove_tree

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("the grader's")

    def deep(top):
        top.mkdir()
        fd = os.open(top, os.O_RDONLY)
        for _ in range(3000):  # 6000 characters of path: past PATH_MAX (4096)
            os.mkdir("d", dir_fd=fd)
            fd, above = os.open("d", os.O_RDONLY, dir_fd=fd), fd
            os.close(above)
        with open(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as f:
            f.write("x")
        os.symlink(str(outside), "link", dir_fd=fd)
        os.close(fd)
        return top

    try:
        with pytest.raises((RecursionError, OSError)):  # the control: what the grader used before
            shutil.rmtree(deep(tmp_path / "control"))
        # what the control left: pytest's own clean-up of a later session must not recurse on it
        # either (tests/conftest.py gives it remove_tree)
        _pytest.pathlib.rm_rf(tmp_path / "control")
        assert not (tmp_path / "control").exists()
    finally:
        remove_tree(tmp_path / "control")
    remove_tree(deep(tmp_path / "work"))
    assert not (tmp_path / "work").exists()
    assert (outside / "keep.txt").read_text() == "the grader's"
    remove_tree(tmp_path / "absent")  # never raises
