# Convolution as GEMM. Every command sets up .venv from requirements.txt when it is missing
# or was installed from another requirements.txt (its content, not its date), and reuses it otherwise.
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
Q ?=
TORCH_INDEX_URL ?=
TORCH_VERSION := $(shell sed -n 's/^torch==//p' requirements.txt)

.PHONY: help venv sandbox-access test test-fast grade check autograder release assignments samples question bench bench-ref gpu-check
help:
	@echo "make grade [SUBMISSIONS=DIR OUT=DIR2]   grade a class folder (default: the bundled samples) into grades/"
	@echo "           [WORKERS=n LAYOUT=name SHARD=K/N COMPARE=PREVIOUS_OUT]   LMS exports, shards, regrades: docs/lms.md"
	@echo "make check [Q=ID]                       what a student runs: the public checks on assignments/ (Q: one question, e.g. Q=conv2d)"
	@echo "make test                               run the repository's own test suite (all of it, as CI does)"
	@echo "make test-fast                          the tests not marked slow (no corpus grading, no container runs)"
	@echo "make autograder                         build dist/autograder.zip for Gradescope"
	@echo "make release                            build the student release: dist/student/ and dist/student.zip"
	@echo "make assignments                        regenerate the starter assignments/ and the notebooks from solutions/"
	@echo "make samples                            rebuild the sample class in autograder/samples/"
	@echo "make question ID=id MODULE=module       scaffold a new question (POINTS=n FUNCTIONS=f,g optional; docs/adding-a-question.md)"
	@echo "make bench                              benchmark table and plot (bench/results/), then the grading-speed rows"
	@echo "make bench-ref                          the reference solution's speed targets against torch"
	@echo "make gpu-check                          everything that needs CUDA: cuDNN rows, CUDA-only checks (skips without CUDA)"
	@echo "make venv                               only set up .venv from requirements.txt (every target does this first)"
	@echo "make sandbox-access                     under root: let the sandbox user run .venv's Python (grade and test do this)"
	@echo "make help                               this list"
	@echo "Variables: SUBMISSIONS, OUT, WORKERS, LAYOUT, SHARD, COMPARE (grade), Q (check), PYTHON (the interpreter that makes .venv, default python3),"
	@echo "  TORCH_INDEX_URL (where pip takes torch from; https://download.pytorch.org/whl/cpu gives the 1.3 GB CPU build)"

# The stamp holds the sha256 of the requirements.txt the venv was installed from: a fresh clone
# (newer file dates) reuses a copied .venv, and any change to requirements.txt reinstalls.
REQUIREMENTS_HASH := $(firstword $(shell sha256sum requirements.txt))
ifneq ($(REQUIREMENTS_HASH),$(firstword $(shell cat $(STAMP) 2>/dev/null)))
.PHONY: $(STAMP)
endif
venv: $(STAMP)
$(STAMP):
	@echo "Setting up $(VENV) from requirements.txt (first run, or the pins changed): torch $(TORCH_VERSION), numpy, Otter,"
	@echo "  matplotlib, pytest. About 1.3 GB with torch's CPU build, about 5.3 GB with the CUDA build that pip picks by default"
	@echo "  on Linux x86-64; one to three minutes. CPU build: make TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu ..."
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ -n "$(TORCH_INDEX_URL)" ]; then echo "  torch from $(TORCH_INDEX_URL)"; \
	  $(PY) -m pip install --quiet --disable-pip-version-check --index-url "$(TORCH_INDEX_URL)" "torch==$(TORCH_VERSION)"; fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@echo $(REQUIREMENTS_HASH) > $@
	@echo "  $(VENV) is ready: $$(du -sh $(VENV) | cut -f1)"

# Under root the grader runs student code as an unprivileged user, who must be able to start this Python.
sandbox-access: $(STAMP)
	@$(PY) tools/sandbox_access.py

# pytest.ini prints the 10 slowest tests at the end (--durations=10)
test: $(STAMP) sandbox-access
	$(PY) -m pytest

test-fast: $(STAMP) sandbox-access
	$(PY) -m pytest -m "not slow"

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
	$(GRADER) grade "$(SUBMISSIONS)" --out "$(OUT)" $(GRADE_OPTS)

check: $(STAMP)
	$(GRADER) check assignments $(foreach q,$(Q),--question $(q))

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
