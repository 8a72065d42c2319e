"""The grader code that runs inside the student's process: the trust boundary as a folder.

Everything here is public (the release carries it) and is copied whole into every sandbox as
the package ``grader_runtime``; inside the parent it is ``grader.runtime``. Modules import each
other relatively, never by bare name, and import nothing else of the grader: the parent's
checks, oracle and hidden checks never exist in the student's process.

- template.py: imports once and forks each question's child (package template) or each run of
  a notebook's cells (notebook template)
- child.py: one child's setup and calls; loader.py: the student's package as Python imports it
- probes.py, guard.py: what the child measures and watches; landlock.py, seccomp_filter.py: confinement
- rules.py (forbidden names), wire.py (the value format): shared by both sides
- notebook_runner.py: what a forked notebook run does: confine itself, run the cells, report
"""
