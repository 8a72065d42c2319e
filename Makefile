# Convolution as GEMM: every command sets up .venv from requirements.txt when it is missing
# or older than requirements.txt, and reuses it otherwise.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

SUBMISSIONS ?= autograder/samples
OUT ?= grades

.PHONY: help venv test assignments
help:
	@echo "make test         run the repository's test suite"
	@echo "make assignments  regenerate assignments/ from solutions/"

venv: $(STAMP)
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

test: $(STAMP)
	$(PY) -m pytest

assignments: $(STAMP)
	$(PY) tools/make_assignments.py
