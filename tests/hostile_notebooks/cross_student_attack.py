# The cross-student attack: every socket on localhost that /proc/net lists, plus the ones the
# test names, sent a pickle (as one notebook once did to another's Otter log server). Run only
# inside `unshare -n` (tests/hostile_notebooks/cross_student.py), never against a real host.
import pickle
import socket

_targets = {("tcp", __TCP_PORT__), ("udp", __UDP_PORT__)}
for _proto in ("tcp", "tcp6", "udp", "udp6"):
    try:
        with open(f"/proc/net/{_proto}") as _f:
            for _line in _f.read().splitlines()[1:]:
                _targets.add((_proto[:3], int(_line.split()[1].rsplit(":", 1)[1], 16)))
    except (OSError, ValueError, IndexError):
        pass
_paths = {"__UNIX_PATH__"}
try:
    with open("/proc/net/unix") as _f:
        _paths |= {_l.split()[7] for _l in _f.read().splitlines()[1:] if len(_l.split()) > 7}
except OSError:
    pass
_payload = pickle.dumps({"set_score": 0, "steal": "notebook"})
_reached = 0
for _kind, _port in sorted(_targets):
    try:
        if _kind == "udp":
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(_payload, ("127.0.0.1", _port))
        else:
            socket.create_connection(("127.0.0.1", _port), timeout=1).sendall(_payload)
        _reached += 1
    except OSError:
        pass
for _path in sorted(_paths):
    try:
        _s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _s.connect(_path.lstrip("@") if not _path.startswith("@") else "\0" + _path[1:])
        _s.sendall(_payload)
        _reached += 1
    except OSError:
        pass
if _reached:
    _earn()
