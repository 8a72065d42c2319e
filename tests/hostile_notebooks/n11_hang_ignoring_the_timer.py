# feedback: ran longer than
# A cell that disarms the per-cell timer and spins: the parent's own limit ends it.
import signal

signal.signal(signal.SIGALRM, signal.SIG_IGN)
signal.setitimer(signal.ITIMER_REAL, 0)
while True:
    pass
