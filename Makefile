# Quick start: `make demo` and `make test`. Both create .venv when needed, in any order.
# `make demo` installs the core alone (NumPy, scikit-learn, matplotlib and the few packages the
# two scripts read with); `make test` installs the dev extra on top (PyTorch, ONNX Runtime, Dask,
# the playground, MkDocs, Playwright, pytest). Each stamp records what is installed; installing
# the core again (after pyproject.toml changes) leaves the extras in place.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORE_STAMP := $(VENV)/.installed-core
DEV_STAMP := $(VENV)/.installed-dev
# Test processes: one per core (pytest-xdist); WORKERS=2 sets the number, WORKERS=0 runs all in one.
WORKERS ?= auto
PYTEST := MPLBACKEND=Agg $(BIN)/python -m pytest -q

.PHONY: demo test test-fast lint bench gallery clean playground chromium docs notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(CORE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The dev extra includes the core, so its stamp stands for both.
$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(CORE_STAMP)

demo: $(CORE_STAMP)
	MPLBACKEND=Agg $(BIN)/python train_circles.py --out outputs
	MPLBACKEND=Agg $(BIN)/python train_moons.py --out outputs

# The suite in two runs: the tests that can share the machine on every core (pytest-xdist; tests
# that share one expensive fixture stay on one process: --dist loadgroup), then those marked
# serial (a real browser, a wait with a bound of a second) one at a time. Both run even when the
# first fails, so one report shows every failure; exit status 5 is "no test selected".
test: $(DEV_STAMP) chromium
	status=0; \
	$(PYTEST) -n $(WORKERS) --dist loadgroup -m "not serial" || status=1; \
	$(PYTEST) -m serial || [ $$? -eq 5 ] || status=1; \
	exit $$status

# The suite without the tests marked slow (full-size accuracy runs, the notebooks, the site, the
# benchmarks end to end): for the edit-test loop.
test-fast: $(DEV_STAMP)
	status=0; \
	$(PYTEST) -n $(WORKERS) --dist loadgroup -m "not serial and not slow" || status=1; \
	$(PYTEST) -m "serial and not slow" || [ $$? -eq 5 ] || status=1; \
	exit $$status

# The playground's browser tests drive Debian's Chromium (Playwright cannot download its own
# browser here): install it when we can (as root with apt, as CI runs); otherwise say loudly
# that those tests will be skipped.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && apt-get install -y chromium; \
	else \
		echo "*** no chromium and not root: the playground's browser tests will be SKIPPED" \
		     "(install it: sudo apt-get install chromium) ***"; \
	fi

playground: $(DEV_STAMP)
	$(BIN)/scratchnn playground

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/conv_bench.py

gallery: $(DEV_STAMP) chromium
	MPLBACKEND=Agg $(BIN)/python docs/make_gallery.py
	$(BIN)/python -m scratchnn.playground.screenshot docs/images
	MPLBACKEND=Agg $(BIN)/python train_circles.py --out docs/images
	MPLBACKEND=Agg $(BIN)/python train_moons.py --out docs/images

# The documentation site (MkDocs Material) into site/; open site/index.html, no server needed.
docs: $(DEV_STAMP)
	$(BIN)/mkdocs build --strict

# Rebuild the tutorial notebooks from docs/tutorials/source/ and execute them (stores outputs).
notebooks: $(DEV_STAMP)
	$(BIN)/python docs/tutorials/build.py

clean:
	rm -rf $(VENV) outputs .pytest_cache site
