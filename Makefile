# The README's two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE ?= 1
export ANONYMIZED_TELEMETRY ?= False
export GRADIO_ANALYTICS_ENABLED ?= False

.PHONY: install run test lint bench chromium clean constraints fuzz

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# the CPU build of torch first, so nothing pulls in a multi-GB CUDA build
	$(BIN)/pip install torch==2.13.0
	# every other package at the exact version the suite was tested with
	$(BIN)/pip install -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  (apt-get update && apt-get install -y --no-install-recommends chromium) || \
	  (sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium); }

run: install
	$(BIN)/assistant ingest corpus/
	$(BIN)/assistant web

test: install chromium
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/ingest_bench.py
	$(BIN)/python benchmarks/rtqa_bench.py

# pin what the venv holds now (after a deliberate upgrade); torch keeps its public version
constraints: install
	{ sed -n '1,2p' constraints.txt; $(BIN)/pip freeze --exclude-editable | \
	  grep -v '^briefing-assistant' | sed 's/^torch==\(.*\)+cpu$$/torch==\1/'; } > constraints.tmp
	mv constraints.tmp constraints.txt

# a bounded fuzz campaign of the file parsers (see docs/reliability.md)
fuzz: install
	$(BIN)/python benchmarks/fuzz_parsers.py --seconds 20

clean:
	rm -rf $(VENV) data
