# combien — `make demo` and `make test` work on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS := $(VENV)/.extras
TORCH  ?= 2.13.0

.PHONY: demo test lint layers typecheck pytest smoke bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the optional integrations, tested with the real frameworks on the CPU build of PyTorch
$(EXTRAS): $(STAMP)
	$(BIN)/python -m pip install --quiet torch==$(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,lightning,transformers,keras,charts,web,webtest,reports]'
	touch $(EXTRAS)

# the web tests drive Debian's chromium with Playwright (never Playwright's own browser download)
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null

demo: $(STAMP)
	$(BIN)/combien estimate --model llama-3.1-405b --location US --facility hyperscale

lint: $(STAMP)
	$(BIN)/ruff check combien tests bench
	$(BIN)/ruff format --check combien tests bench

# the package reads as the data flow: layer contracts in pyproject.toml [tool.importlinter]
layers: $(STAMP)
	$(BIN)/lint-imports

typecheck: $(EXTRAS)
	$(BIN)/mypy

pytest: $(EXTRAS) $(CHROMIUM)
	$(BIN)/pytest

# the package as a user installs it: no extras, not editable, run from outside the checkout
smoke: $(BIN)/python
	rm -rf .venv-smoke
	$(PYTHON) -m venv .venv-smoke
	.venv-smoke/bin/python -m pip install --quiet .
	cd / && $(CURDIR)/.venv-smoke/bin/combien estimate --model gpt-3 --format json > /dev/null
	cd / && $(CURDIR)/.venv-smoke/bin/python -c "import combien; b = combien.estimate(params='7B', tokens='2T', hardware='h100', chips=64); assert b.energy_kwh.value > 0"
	rm -rf .venv-smoke

test: lint layers typecheck smoke pytest

bench: $(STAMP)
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) .venv-smoke build *.egg-info .pytest_cache .mypy_cache .ruff_cache
