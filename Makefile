# Convolution as GEMM. Every command sets up .venv from requirements.txt when it is missing
# or older than requirements.txt, and reuses it otherwise.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GRADER := PYTHONPATH=autograder $(PY) -m grader

SUBMISSIONS ?= autograder/samples
OUT ?= grades
# optional for `make grade`: WORKERS=n, LAYOUT=canvas|moodle|blackboard|gradescope|classroom|plain,
# SHARD=K/N, COMPARE=PREVIOUS_OUT (docs/lms.md)
WORKERS ?=
LAYOUT ?=
SHARD ?=
COMPARE ?=
GRADE_OPTS = $(if $(WORKERS),--workers "$(WORKERS)") $(if $(LAYOUT),--layout "$(LAYOUT)") $(if $(SHARD),--shard "$(SHARD)") \
	$(if $(COMPARE),--compare "$(COMPARE)")

.PHONY: help venv sandbox-access test grade check autograder release assignments samples bench bench-ref gpu-check
help:
	@echo "make grade [SUBMISSIONS=DIR OUT=DIR2]  grade a folder of submissions (default: the samples) into grades/"
	@echo "           [WORKERS=n LAYOUT=name SHARD=K/N COMPARE=PREVIOUS_OUT]  (docs/lms.md)"
	@echo "make test                              run the repository's own test suite"
	@echo "make check                             what a student runs: public checks on assignments/"
	@echo "make autograder                        build dist/autograder.zip for Gradescope"
	@echo "make release                           build dist/student/ and dist/student.zip"
	@echo "make assignments                       regenerate assignments/ from solutions/"
	@echo "make bench / make bench-ref            benchmark table and plot / reference speed targets"
	@echo "make gpu-check                         cuDNN rows, CUDA-only grader checks, benchmark_channels_last (skips without CUDA)"

venv: $(STAMP)
$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# Under root the grader runs student code as an unprivileged user, who must be able to start this Python.
sandbox-access: $(STAMP)
	@$(PY) tools/sandbox_access.py

test: $(STAMP) sandbox-access
	$(PY) -m pytest

assignments: $(STAMP)
	$(PY) tools/make_assignments.py
	@if [ -f tools/make_notebook.py ]; then $(PY) tools/make_notebook.py; fi

samples: $(STAMP)
	$(PY) tools/make_samples.py

# the bundled samples are rebuilt only when they are what is graded
grade: $(STAMP) sandbox-access $(if $(filter autograder/samples,$(SUBMISSIONS)),samples)
	$(GRADER) grade "$(SUBMISSIONS)" --out "$(OUT)" $(GRADE_OPTS)

check: $(STAMP)
	$(GRADER) check assignments

autograder: $(STAMP)
	$(PY) tools/build_dist.py autograder

release: $(STAMP)
	$(PY) tools/build_dist.py release

bench: $(STAMP) samples
	$(PY) bench/bench.py
	$(PY) bench/grading_speed.py

bench-ref: $(STAMP)
	$(PY) bench/ref_ratios.py

gpu-check: $(STAMP)
	$(PY) bench/gpu_check.py
