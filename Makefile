# Two commands do everything on a fresh Debian/Ubuntu machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run chat test bench setup clean

$(STAMP): pyproject.toml scripts/setup-system.sh scripts/system-packages.txt
	./scripts/setup-system.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,piper]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/reconnect start

chat: setup
	$(BIN)/reconnect chat

test: setup
	$(BIN)/python -m pytest

bench: setup
	./scripts/setup-system.sh scripts/bench-packages.txt
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/crash.py
	$(BIN)/python benchmarks/speech.py
	$(BIN)/python benchmarks/wer.py

clean:
	rm -rf $(VENV) build *.egg-info
