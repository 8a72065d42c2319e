# Processes meant to outlive grading: a new session, a double-forked daemon, a plain child.
import os
import subprocess

try:
    subprocess.Popen(["sleep", "31337"], start_new_session=True)
except (OSError, subprocess.SubprocessError):
    pass
subprocess.Popen(["sleep", "31337"])
if os.fork() == 0:
    try:
        os.setsid()
    except OSError:
        pass
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "31337"])
    os._exit(0)
