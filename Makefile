# sopev: two commands do everything on a fresh machine: `make book` and `make test`.
# Both create .venv (python3 -m venv) and install with the exact pins of constraints.txt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(abspath $(VENV))/bin/python
STAMP := $(VENV)/.installed-stamp
export PATH := $(abspath $(VENV))/bin:$(PATH)
# The code of this checkout, also when .venv is shared with another worktree (editable install).
export PYTHONPATH := $(CURDIR)
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1
# pandapower warns about numba on import; we run pure-Python NR (numba=False) on purpose.
export PYTHONWARNINGS := ignore::UserWarning:pandapower.auxiliary

OUT ?= results
PROFILE ?= full
# Browser test: the site it checks (make test-site SITE_DIR=_build/html for the full book) and
# the Chromium it drives (Debian's package; Playwright never downloads a browser here).
SITE_DIR ?= _build/ci/html
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

.PHONY: help venv book book-ci chapter test test-unit test-loop test-site site-deps bench reproduce lab lint \
	clean distclean

help:
	@echo "make book       execute every chapter with papermill and build the site (_build/html)"
	@echo "make chapter CH=04 PARAMS=\"v_min_pu=0.94\"  rerun one chapter, rebuild its page"
	@echo "make test       unit tests + every chapter at CI size + strict book build + browser test"
	@echo "make test-site  open every page of SITE_DIR (default _build/ci/html) in headless Chromium"
	@echo "make bench      performance benchmarks (benchmarks/), figures printed"
	@echo "make reproduce  solve the paper's four plans, write results/ (OUT=DIR to change)"
	@echo "make lab        open JupyterLab on the notebooks"
	@echo "make clean      remove build outputs (keeps .venv)"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,dev]"
	@touch $(STAMP)

venv: $(STAMP)

# Full-size book: every notebook executed with its own default parameters.
book: $(STAMP)
	$(PY) scripts/build_book.py --profile full --build-dir _build

# One chapter with other parameters, rebuilt inside the built site (BUILD=_build/ci for the
# CI-size site): make chapter CH=04 PARAMS="v_min_pu=0.94 sop_unit_cost=3000"
CH ?=
PARAMS ?=
BUILD ?= _build
chapter: $(STAMP)
	@test -n "$(CH)" || { echo 'usage: make chapter CH=04 PARAMS="name=value ..."'; exit 2; }
	$(PY) scripts/build_chapter.py $(CH) $(PARAMS) --build-dir $(BUILD)

# CI-size book: same notebooks with the small parameters of notebooks/ci_params.yaml.
book-ci: $(STAMP)
	$(PY) scripts/build_book.py --profile ci --build-dir _build/ci

test-unit: $(STAMP)
	$(PY) -m ruff check sopev_lib tests benchmarks scripts
	$(PY) -m pytest -n 2 -m "not notebook"

# The student loop on the CI-size site: rerun one chapter with a changed parameter (make
# chapter) and check its page and its executed notebook (tests/test_student_loop.py).
test-loop: $(STAMP)
	$(PY) -m pytest -m notebook

# Debian's Chromium, installed when missing (CI runs as root on a fresh Debian machine).
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# What the browser test needs: Chromium and the vendored MathJax (npm, cached in _build/vendor).
site-deps: $(STAMP) $(CHROMIUM)
	$(PY) scripts/stage_assets.py --fetch-mathjax

# Serve the built site on 127.0.0.1 and check every page in headless Chromium (console errors,
# failed or off-machine requests, images, equations, internal links, search, offline rendering);
# screenshots of every page go to $(SITE_DIR)/../screenshots.
test-site: site-deps
	$(PY) scripts/check_site.py $(SITE_DIR)

# site-deps first, so the tests of the browser test (tests/test_site_check.py) run, not skip.
test: site-deps test-unit book-ci test-loop test-site

# make bench ONLY="model scale" runs only those benchmarks/bench_*.py
ONLY ?=
bench: $(STAMP)
	$(PY) benchmarks/run_all.py $(ONLY)

reproduce: $(STAMP)
	$(VENV)/bin/sopev reproduce --out $(OUT)

lab: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[book,dev,lab]"
	$(VENV)/bin/jupyter lab notebooks/

lint: $(STAMP)
	$(PY) -m ruff check sopev_lib tests benchmarks scripts
	$(PY) -m ruff format --check sopev_lib tests benchmarks scripts

clean:
	rm -rf _build results .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -not -path "./.venv/*" -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
