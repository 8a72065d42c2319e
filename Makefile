# Convolution as GEMM. Every command sets up .venv from requirements.txt when it is missing
# or was installed from another requirements.txt (its content, not its date), and reuses it otherwise.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GRADER := PYTHONPATH=autograder $(PY) -m grader

SUBMISSIONS ?= autograder/samples
OUT ?= grades

.PHONY: help venv sandbox-access test grade check autograder release assignments samples question bench bench-ref gpu-check
help:
	@echo "make grade [SUBMISSIONS=DIR OUT=DIR2]  grade a folder of submissions (default: the samples) into grades/"
	@echo "make test                              run the repository's own test suite"
	@echo "make check                             what a student runs: public checks on assignments/"
	@echo "make autograder                        build dist/autograder.zip for Gradescope"
	@echo "make release                           build dist/student/ and dist/student.zip"
	@echo "make assignments                       regenerate assignments/ from solutions/"
	@echo "make question ID=id MODULE=module      scaffold a new question (POINTS=n FUNCTIONS=f,g optional; docs/adding-a-question.md)"
	@echo "make bench / make bench-ref            benchmark table and plot / reference speed targets"
	@echo "make gpu-check                         cuDNN rows, CUDA-only grader checks, benchmark_channels_last (skips without CUDA)"

# The stamp holds the sha256 of the requirements.txt the venv was installed from: a fresh clone
# (newer file dates) reuses a copied .venv, and any change to requirements.txt reinstalls.
REQUIREMENTS_HASH := $(firstword $(shell sha256sum requirements.txt))
ifneq ($(REQUIREMENTS_HASH),$(firstword $(shell cat $(STAMP) 2>/dev/null)))
.PHONY: $(STAMP)
endif
venv: $(STAMP)
$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@echo $(REQUIREMENTS_HASH) > $@

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

# scaffold a new question: its module, hidden twin, reference block, mutant and README row (docs/adding-a-question.md)
question: $(STAMP)
	@$(PY) tools/new_question.py --id "$(ID)" --module "$(MODULE)" $(if $(POINTS),--points "$(POINTS)") $(if $(FUNCTIONS),--functions "$(FUNCTIONS)")

# the bundled samples are rebuilt only when they are what is graded
grade: $(STAMP) sandbox-access $(if $(filter autograder/samples,$(SUBMISSIONS)),samples)
	$(GRADER) grade $(SUBMISSIONS) --out $(OUT)

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
