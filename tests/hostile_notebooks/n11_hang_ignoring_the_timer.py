# feedback: ran longer than
# A cell that disarms the per-cell timers (CPU and wall clock) and spins: the parent's own limit ends it.
import signal

for _sig, _timer in ((signal.SIGALRM, signal.ITIMER_REAL), (signal.SIGPROF, signal.ITIMER_PROF)):
    signal.signal(_sig, signal.SIG_IGN)
    signal.setitimer(_timer, 0)
while True:
    pass
