# The README's two commands: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= var/demo

.PHONY: venv demo test lint bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: venv
	$(BIN)/emis generate --scale tiny --seed 1 --year 2025 --out $(DEMO)/export
	@echo
	@echo "A synthetic register export is in $(DEMO)/export (manifest.json lists its files);"
	@echo "the planted defects the quality checks must find are in $(DEMO)/export.defects.csv."
	@echo "Next: open $(DEMO)/export/organizations.csv, or query it with DuckDB:"
	@echo "  $(BIN)/python -c \"import duckdb; print(duckdb.sql(\\\"select level, count(*) from '$(DEMO)/export/enrolments.csv' group by 1\\\"))\""

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
