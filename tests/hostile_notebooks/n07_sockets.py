# Sockets of every family (the answers would leave over any of them).
import socket

_opened = 0
for _family, _type in ((socket.AF_INET, socket.SOCK_DGRAM), (socket.AF_INET, socket.SOCK_STREAM),
                       (socket.AF_INET6, socket.SOCK_DGRAM), (socket.AF_UNIX, socket.SOCK_STREAM),
                       (socket.AF_UNIX, socket.SOCK_DGRAM), (socket.AF_NETLINK, socket.SOCK_RAW),
                       (socket.AF_PACKET, socket.SOCK_RAW)):
    try:
        socket.socket(_family, _type).close()
        _opened += 1
    except OSError:
        pass
try:
    socket.socketpair()
    _opened += 1
except OSError:
    pass
if _opened:
    _earn()
