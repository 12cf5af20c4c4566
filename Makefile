# The two Quick start commands (see README.md) and a few helpers.
# Each target makes .venv on first use and installs the pinned set in requirements.lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

# Quiet the Material end-of-life banner; it is not about this book.
export NO_MKDOCS_2_WARNING := 1

.PHONY: help site offline pdf test test-fast lint serve bench baselines clean

## help: list the targets (this text)
help:
	@grep -E '^## ' $(MAKEFILE_LIST) | sed 's/^## //'

$(BIN)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

## site: build the book into site/ (strict: any warning fails)
site: $(BIN)/.installed
	$(BIN)/mkdocs build --strict

## offline: the edition to read from disk, built into site-offline/ (open site-offline/index.html)
offline: $(BIN)/.installed
	$(BIN)/mkdocs build --strict -f mkdocs-offline.yml

## pdf: the print edition, site/logreg-book.pdf: the built site printed by Chromium (book/pdf.py)
pdf: site
	$(BIN)/python -m book.pdf site site/logreg-book.pdf
	if [ -d site-offline ]; then cp site/logreg-book.pdf site-offline/; fi

## serve: preview the book at http://127.0.0.1:8000 with live reload
serve: $(BIN)/.installed
	$(BIN)/mkdocs serve

## test: the whole test suite (unit, property, cross-checks, images, site, browser)
test: $(BIN)/.installed
	$(BIN)/python -m pytest

## test-fast: the package's tests and doctests only (tests/package, logreg/): no site build
test-fast: $(BIN)/.installed
	$(BIN)/python -m pytest -m package tests/package logreg

## lint: ruff (lint and format check) on the whole tree, mypy on the package
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy logreg

## bench: speed, accuracy and memory against scikit-learn and glum (four sizes), every method
## on real data, Newton against L-BFGS by size (the default), the separability check, sparse input
bench: $(BIN)/.installed
	$(BIN)/python benchmarks/bench_fit.py
	$(BIN)/python benchmarks/bench_real.py
	$(BIN)/python benchmarks/bench_default.py
	$(BIN)/python benchmarks/bench_separation.py
	$(BIN)/python benchmarks/bench_sparse.py

## baselines: re-render the image baselines in tests/baseline/ with the pinned Matplotlib.
## Then LOOK at every image git shows as changed before committing it (README.md says how).
baselines: $(BIN)/.installed
	mkdir -p tests/baseline
	rm -f tests/baseline/*.png
	$(BIN)/python -c "import matplotlib; print(matplotlib.__version__)" > tests/baseline/MATPLOTLIB_VERSION
	$(BIN)/python -m pytest tests/book/test_figures.py::test_figure --mpl-generate-path=tests/baseline -q
	@echo "Now look at each changed image before committing: git status --short tests/baseline"

## clean: remove the built site and the build cache
clean:
	rm -rf site site-offline .cache
