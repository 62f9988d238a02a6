# Quick start: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-fast lint bench gallery clean playground chromium docs notebooks

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python train_circles.py --out outputs
	MPLBACKEND=Agg $(BIN)/python train_moons.py --out outputs

test: $(STAMP) chromium
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

# The suite without the full-size accuracy runs (tests marked slow): for the edit-test loop.
test-fast: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m "not slow"

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

playground: $(STAMP)
	$(BIN)/scratchnn playground

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/memory.py
	$(BIN)/python benchmarks/conv_bench.py

gallery: $(STAMP) chromium
	MPLBACKEND=Agg $(BIN)/python docs/make_gallery.py
	$(BIN)/python -m scratchnn.playground.screenshot docs/images
	MPLBACKEND=Agg $(BIN)/python train_circles.py --out docs/images
	MPLBACKEND=Agg $(BIN)/python train_moons.py --out docs/images

# The documentation site (MkDocs Material) into site/; open site/index.html, no server needed.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

# Rebuild the tutorial notebooks from docs/tutorials/source/ and execute them (stores outputs).
notebooks: $(STAMP)
	$(BIN)/python docs/tutorials/build.py

clean:
	rm -rf $(VENV) outputs .pytest_cache site
