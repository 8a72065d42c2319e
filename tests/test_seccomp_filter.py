"""The seccomp filter: no socket of any family, tested inside a private network namespace.

Each test body runs as a subprocess under ``unshare -n`` (root only; skipped elsewhere), with
``lo`` up and UDP, TCP and Unix listeners on 127.0.0.1 / a temporary path. An unconfined sender
reaches all three (so the check can fail); a confined one reaches none.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

AUTOGRADER = ROOT / "autograder"  # on sys.path in the subprocesses: grader.runtime.seccomp_filter
TESTS = ROOT / "tests"


def _unshare_available() -> str | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return "needs root, unshare and ip (a private network namespace)"
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        return "unshare -n is not permitted here"
    return None


needs_netns = pytest.mark.skipif(_unshare_available() is not None, reason=str(_unshare_available()))



@needs_netns
def test_confined_process_reaches_no_listener_of_any_kind(tmp_path):
    proc = subprocess.run(["unshare", "-n", sys.executable, str(TESTS / "netns_listeners.py"), "probe", str(tmp_path), str(AUTOGRADER)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["confined"]["filtered"] is True
    for kind in ("udp", "tcp", "unix"):
        assert "Operation not permitted" in result["confined"][kind], result["confined"]
        assert result["after_confined"][kind] == "", f"{kind}: data arrived from the confined sender"
        assert result["control"][kind] == "sent", result["control"]  # the listeners do work
        assert result["received"][kind] == "answers-and-hidden-tests"  # exactly once: the control's


def test_filter_survives_exec_and_keeps_the_process_group():
    code = ("import os, socket, subprocess, sys; sys.path.insert(0, sys.argv[1]); from grader.runtime import seccomp_filter;"
            "assert seccomp_filter.deny_sockets(keep_process_group=True, freeze_limits=True);"
            "r = subprocess.run([sys.executable, '-c', 'import socket; socket.socket()'], capture_output=True, text=True);"
            "print('child socket:', 'PermissionError' in r.stderr);"
            "err = []\n"
            "for f in (os.setsid, lambda: os.setpgid(0, 0)):\n"
            "    try: f(); err.append('allowed')\n"
            "    except PermissionError: err.append('denied')\n"
            "import resource\n"
            "try: resource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE)); err.append('allowed')\n"
            "except (OSError, ValueError): err.append('denied')\n"
            "print('calls:', err)")
    out = subprocess.run([sys.executable, "-c", code, str(AUTOGRADER)], capture_output=True, text=True, timeout=60,
                         start_new_session=True)
    assert out.returncode == 0, out.stderr
    assert "child socket: True" in out.stdout
    assert "calls: ['denied', 'denied', 'denied']" in out.stdout
