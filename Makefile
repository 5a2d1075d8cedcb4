# The course kit's commands. Each target creates/updates the environment first (.venv, Python 3.11).
#   make course   - set up, then execute every notebook at classroom size -> build/ (+ a results table)
#   make test     - set up, then run the daily test suite in fast mode: ruff, unit tests, each notebook once
#                   (CI runs it, then release-check and site-check)
#   make lab      - set up, then open JupyterLab on the notebooks
#   make student  - write the hand-out to student/: nbgrader's release notebooks (solutions stripped, locked
#                   test cells, nbgrader metadata), the same as build/nbgrader/release/: what you hand out
#   make grade-release - write the instructor's nbgrader course directory to build/nbgrader/ (PRIVATE:
#                   solutions and hidden tests) and generate one assignment per notebook in it
#   make student-branch REPO=owner/name [BRANCH=student] - write the students' branch to build/student-branch/
#                   (the hand-out as notebooks/, Colab links -> REPO@BRANCH, no instructor notebook or key)
#   make colab-links REPO=owner/name [BRANCH=main] - point every Colab badge and install line at a fork
#   make release-check - the student-release and real-nbgrader tests (pytest -m release; minutes)
#   make bench    - run the speed benchmarks (prints measured ratios)
#   make browser-check - run every notebook in JupyterLab in headless Chromium; check widgets, progress bars,
#                   plots redrawn in place (tools/browser_check.py; needs Chromium)
#   make long-filters - a longer filter run than class allows (tools/long_filters.py; resumable, <= 60 min on 2
#                   cores) -> docs/data/long_filters.npz, read by notebook 05's section "A longer run"
#   make site     - the course as a website: build/site/ from the notebooks `make course` executed (searchable,
#                   works offline from file://); `make site STUDENT=1`: from the hand-out notebooks (no
#                   solutions) -> build/site-student/ (tools/build_site.py, docs/SITE.md)
#   make site-check - fast course run, both sites built, checked in headless Chromium (tests/test_site.py)
#   make colab-sim - install the toolkit into a Colab-like Python 3.12 environment (Colab's package versions)
#                   as the setup cell does, and run every notebook there (tools/colab_sim.py)
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
JOBS ?= 2
SHARED_MNIST ?= ../shared/data/mnist-t10k

.PHONY: env course test lab student grade-release student-branch release-check colab-links bench browser-check colab-sim long-filters site site-check clean

env: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else "Python 3.10-3.12 is needed (giotto-tda 0.6.2 has wheels for these only); found %d.%d. Set PYTHON=/path/to/python3.11." % v)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[giotto,course,test]" -c constraints.txt
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course kit)" >/dev/null
	touch $(STAMP)

course: env
	@if [ -d "$(SHARED_MNIST)" ]; then $(PY) -m toolkit.data import-idx "$(SHARED_MNIST)"; fi
	$(PY) tools/run_course.py --out build

LINTED := toolkit tests tools benchmarks notebooks
# The daily suite: ruff (lint + format check), the unit tests and every notebook once through nbval. The
# hand-out/nbgrader runs (release-check) and the website (site-check) are CI's next steps.
test: env
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	rm -rf build/test-data build/test-build
	TOOLKIT_FAST=1 TOOLKIT_OFFLINE=1 TOOLKIT_STRICT_CHECKS=1 TOOLKIT_DATA=$(CURDIR)/build/test-data \
	TOOLKIT_BUILD=$(CURDIR)/build/test-build MPLBACKEND=Agg OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_DISABLE=1 \
	$(PY) -m pytest -n $(JOBS) --dist loadfile --durations=15 --nbval-lax --nbval-current-env \
	  -m 'not release and not site' tests notebooks

# Jupyter refuses to run as root unless told (containers, some lab machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: env
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) notebooks

student: env
	$(PY) tools/release.py --out student

# BRANCH given on the command line, else "student" (not colab-links' default "main": the kit's own branch)
student-branch: env
	@test -n "$(REPO)" || { echo "usage: make student-branch REPO=owner/name [BRANCH=student]"; exit 2; }
	$(PY) tools/release.py --student-branch build/student-branch --repo "$(REPO)" \
		--branch "$(if $(filter command line,$(origin BRANCH)),$(BRANCH),student)"

# The hand-out and nbgrader tests (marker `release`): every student notebook run, the real nbgrader grading
# solved, adversarial and stub submissions of 01, 04 and 05.
release-check: env
	rm -rf build/test-data build/test-build
	TOOLKIT_FAST=1 TOOLKIT_OFFLINE=1 TOOLKIT_STRICT_CHECKS=1 TOOLKIT_DATA=$(CURDIR)/build/test-data \
	TOOLKIT_BUILD=$(CURDIR)/build/test-build MPLBACKEND=Agg OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_DISABLE=1 \
	$(PY) -m pytest -n $(JOBS) --dist loadfile --durations=15 -m release tests

GRADE_DIR ?= build/nbgrader
grade-release: env
	$(PY) tools/release.py --nbgrader --course $(GRADE_DIR)
	cd $(GRADE_DIR) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" nbgrader generate_assignment "*" --force

BRANCH ?= main
colab-links: env
	@test -n "$(REPO)" || { echo "usage: make colab-links REPO=owner/name [BRANCH=main]"; exit 2; }
	$(PY) tools/colab_links.py "$(REPO)" --branch "$(BRANCH)"

bench: env
	$(PY) benchmarks/bench_fit.py
	@if [ -f benchmarks/bench_ensemble.py ]; then $(PY) benchmarks/bench_ensemble.py; fi

browser-check: env
	$(PY) -m pip install -q "playwright>=1.40"
	$(PY) tools/browser_check.py --out build/browser

# The site's packages (the `site` extra), installed once on top of the environment.
SITE_STAMP := $(VENV)/.site-installed
$(SITE_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PY) -m pip install -q -e ".[site]" -c constraints.txt
	touch $(SITE_STAMP)

site: $(SITE_STAMP)
	$(PY) tools/build_site.py $(if $(STUDENT),--student)

# Chromium for the browser test and npm for the site's offline MathJax: Debian's packages (installed as root,
# as on CI), else say how to get them.
site-check: $(SITE_STAMP)
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update -q && apt-get install -y -q chromium; \
	    else echo "site-check needs Chromium: sudo apt-get install chromium"; exit 2; fi; }
	@command -v npm >/dev/null || [ "$$(ls build/site-cache/*.tgz 2>/dev/null | wc -l)" -ge 3 ] || \
	  { if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update -q && apt-get install -y -q npm; \
	    else echo "site-check needs npm (once, for MathJax): sudo apt-get install npm"; exit 2; fi; }
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -p no:cacheprovider -m site -v tests/test_site.py

COLAB_PYTHON ?= $(shell command -v python3.12)
colab-sim: env
	$(PY) tools/colab_sim.py --python "$(COLAB_PYTHON)"

LONG_NETS ?= 24
LONG_STEPS ?= 2000
LONG_MINUTES ?= 52
long-filters: env
	TOOLKIT_OFFLINE=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice -n 19 $(PY) tools/long_filters.py \
	  --nets $(LONG_NETS) --steps $(LONG_STEPS) --minutes $(LONG_MINUTES)

clean:
	rm -rf build student
