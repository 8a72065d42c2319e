"""Hidden checks, one module per question: ``hidden/<id>.py`` is the twin of ``grader/questions/<id>.py``."""
