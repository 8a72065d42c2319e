"""What only instructors get: never in the student release (tools/build_dist.py leaves this
folder out whole). The hidden checks (``hidden/<question>.py``, twins of ``grader/questions``),
the oracle the stand-ins are cut from, the gradebook, and the notebook grader."""
