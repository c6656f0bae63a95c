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
	$(BIN)/emis generate --scale tiny --seed 1 --year 2025 --out $(DEMO)/export --force --quiet
	EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis ingest $(DEMO)/export
	EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis build
	@echo
	@echo "Where to look:"
	@echo "  $(DEMO)/export/             a synthetic register export (manifest.json, eleven files)"
	@echo "  $(DEMO)/export/defects.csv  the defects planted on purpose (ground truth for quality checks)"
	@echo "  $(DEMO)/warehouse.duckdb    the warehouse: raw.* (no personal data), meta.loads,"
	@echo "                              meta.load_files, meta.quarantine (rows that broke the contract),"
	@echo "                              marts_open.observations (the open indicators, with all totals)"
	@echo "Query it, e.g.:"
	@echo "  $(BIN)/python -c 'import duckdb; duckdb.connect(\"$(DEMO)/warehouse.duckdb\", read_only=True).sql(\"select file_name, line_number, record_id, column_name, rule, value from meta.quarantine\").show()'"
	@echo "National figures of the demo (EMIS_HOME=$(DEMO) $(BIN)/emis indicators):"
	@EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis indicators
	@echo "Docs: docs/synthetic-data.md, docs/ingestion.md, docs/warehouse.md. Next: quality checks, releases, portal."

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models

bench: venv
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
