# feedback: killed by signal 9
# The notebook's process kills itself (a crashed kernel): the cell is skipped, the rest counts.
import os
import signal

os.kill(0, signal.SIGKILL)  # its own process group: the only target the sandbox lets a process signal
