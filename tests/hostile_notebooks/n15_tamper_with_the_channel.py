# feedback: tampered
# Garbage, then an oversized line, written on every pipe this process holds (the report channel).
import os

for _fd in map(int, os.listdir("/proc/self/fd")):
    try:
        if _fd > 2 and os.readlink(f"/proc/self/fd/{_fd}").startswith("pipe:"):
            os.write(_fd, b'\x00{"event": "end", "cell": "x"}\n')
            os.write(_fd, b"[" * (2 << 20))
    except OSError:
        pass
