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
	$(BIN)/emis generate --scale tiny --seed 1 --year 2025 --out $(DEMO)/export --force
	@echo
	@echo "The demo export is in $(DEMO)/export: eleven register files and manifest.json."
	@echo "The defects planted on purpose (the quality checks' ground truth) are in"
	@echo "$(DEMO)/export/defects.csv. Look at it with DuckDB, for example:"
	@echo "  $(BIN)/python -c 'import duckdb; duckdb.sql(\"select level, event_type, count(*) as events from \\\"$(DEMO)/export/enrolments.csv\\\" group by all order by all\").show()'"
	@echo "How the data is made: docs/synthetic-data.md. Next in the pipeline: emis ingest (not built yet)."

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: venv
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
