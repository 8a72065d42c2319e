"""Listeners on 127.0.0.1 (UDP, TCP) and a Unix socket, recording what arrives; and a sender.

Run only inside a private network namespace (``unshare -n``), where nothing else listens:
:func:`loopback_up` brings ``lo`` up there. :data:`SENDER` is a file run as a separate Python
process: ``python netns_listeners.py send UDP_PORT TCP_PORT UNIX_PATH [--confined AUTOGRADER_DIR]``;
with ``--confined`` it installs ``seccomp_filter.deny_sockets()`` first. It prints one JSON line:
what each attempt did. ``python netns_listeners.py probe TMP AUTOGRADER_DIR`` (inside ``unshare -n``)
runs :func:`probe` and prints its JSON.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SENDER = Path(__file__).resolve()
PAYLOAD = b"answers-and-hidden-tests"


def loopback_up() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


class Listeners:
    """UDP and TCP on 127.0.0.1 (ephemeral ports) and a Unix stream socket at ``unix_path``."""

    def __init__(self, unix_path: Path):
        self.received: dict[str, bytes] = {"udp": b"", "tcp": b"", "unix": b""}
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(16)
        self.unix_path = str(unix_path)
        self.unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.unix.bind(self.unix_path)
        self.unix.listen(16)
        for sock in (self.udp, self.tcp, self.unix):
            sock.settimeout(0.2)
        self._stop = False
        self._threads = [threading.Thread(target=self._serve_udp, daemon=True),
                         threading.Thread(target=self._serve_stream, args=("tcp", self.tcp), daemon=True),
                         threading.Thread(target=self._serve_stream, args=("unix", self.unix), daemon=True)]
        for t in self._threads:
            t.start()

    @property
    def ports(self) -> tuple[int, int, str]:
        return self.udp.getsockname()[1], self.tcp.getsockname()[1], self.unix_path

    def _serve_udp(self):
        while not self._stop:
            try:
                self.received["udp"] += self.udp.recv(65536)
            except (TimeoutError, OSError):
                continue

    def _serve_stream(self, key, server):
        while not self._stop:
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            conn.settimeout(1)
            try:
                while chunk := conn.recv(65536):
                    self.received[key] += chunk
            except (TimeoutError, OSError):
                pass
            conn.close()

    def stop(self) -> dict[str, bytes]:
        time.sleep(0.5)
        self._stop = True
        for t in self._threads:
            t.join()
        return self.received


def send_all(udp_port: int, tcp_port: int, unix_path: str) -> dict[str, str]:
    """Try each channel once; ``{"udp"|"tcp"|"unix": "sent" or the error}``."""
    outcome = {}
    attempts = {
        "udp": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(PAYLOAD, ("127.0.0.1", udp_port)),
        "tcp": lambda: socket.create_connection(("127.0.0.1", tcp_port), timeout=2).sendall(PAYLOAD),
        "unix": lambda: _unix_send(unix_path),
    }
    for key, attempt in attempts.items():
        try:
            attempt()
            outcome[key] = "sent"
        except OSError as exc:
            outcome[key] = f"{type(exc).__name__}: {exc}"
    return outcome


def _unix_send(path: str) -> None:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(PAYLOAD)
    s.close()


def probe(tmp: Path, grader: Path) -> dict:
    """Inside ``unshare -n``: listeners up, a confined sender, then an unconfined one (control)."""
    loopback_up()
    listeners = Listeners(tmp / "grader.sock")
    udp, tcp, unix = listeners.ports

    def sender(*extra):
        out = subprocess.run([sys.executable, str(SENDER), "send", str(udp), str(tcp), unix, *extra],
                             capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout.strip().splitlines()[-1])

    confined = sender("--confined", str(grader))
    after_confined = {k: v.decode() for k, v in listeners.received.items()}
    control = sender()
    received = {k: v.decode() for k, v in listeners.stop().items()}
    return {"confined": confined, "after_confined": after_confined, "control": control, "received": received}


if __name__ == "__main__" and sys.argv[1:2] == ["probe"]:
    print(json.dumps(probe(Path(sys.argv[2]), Path(sys.argv[3]))))

if __name__ == "__main__" and sys.argv[1:2] == ["send"]:
    udp_port, tcp_port, unix_path = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    filtered = None
    if "--confined" in sys.argv:
        sys.path.insert(0, sys.argv[sys.argv.index("--confined") + 1])
        from grader.runtime import seccomp_filter

        filtered = seccomp_filter.deny_sockets()
    print(json.dumps({"filtered": filtered, **send_all(udp_port, tcp_port, unix_path)}))
