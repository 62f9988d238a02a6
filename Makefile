# Quick start: `make demo` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint bench gallery docs notebooks clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python train_circles.py --out outputs
	MPLBACKEND=Agg $(BIN)/python train_moons.py --out outputs

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

gallery: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python docs/make_gallery.py
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
