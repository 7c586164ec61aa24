# One command per job; each creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch lies on local disk; installed first so that no
	# dependency pulls a CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test,bench,sevennet]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/mixpot demo --out demo_output

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/pops_coverage.py
	$(BIN)/python benchmarks/pops_out_of_core.py
	$(BIN)/python benchmarks/snap_rows_speed.py
	$(BIN)/python benchmarks/snap_calculator_speed.py
	$(BIN)/python benchmarks/distill_tungsten.py
	$(BIN)/python benchmarks/mixing_energy_drift.py

clean:
	rm -rf $(VENV) demo_output
