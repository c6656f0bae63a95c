# The README's two commands: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= var/demo

.PHONY: venv demo test lint bench bench-api bench-openemis clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: venv
	@# The demo starts anew: a release of an older disclosure method would bind this one.
	rm -rf $(DEMO)/warehouse.duckdb $(DEMO)/releases
	$(BIN)/emis generate --scale tiny --seed 1 --year 2025 --out $(DEMO)/export --force --quiet
	EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis run $(DEMO)/export \
		--accept-blocking "synthetic demo export: its planted defects are left in on purpose"
	EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis report osh-1 --out $(DEMO)/reports/osh-1.xlsx --no-pdf
	@echo
	@echo "National figures of the demo (EMIS_HOME=$(DEMO) $(BIN)/emis indicators):"
	@EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis indicators
	@echo
	@echo "Where to look:"
	@echo "  $(DEMO)/export/                 a synthetic register export (manifest.json, eleven files);"
	@echo "                                  defects.csv: the defects planted on purpose"
	@echo "  $(DEMO)/warehouse.duckdb        the warehouse: raw.* (no personal data), meta.quarantine,"
	@echo "                                  marts_open.observations, marts_monitoring.*, quality.dq_issues"
	@echo "  $(DEMO)/releases/current/open/  the open data release (DuckDB, Parquet, CSV, SDMX, README.md)"
	@echo "  $(DEMO)/releases/current/restricted/  monitoring and issue lists for district heads"
	@echo "  $(DEMO)/reports/osh-1.xlsx      the state form ОШ-1 for the republic"
	@echo "  docs/                           how each part works"
	@echo "The portal: EMIS_HOME=$(DEMO) $(BIN)/emis portal   (restricted pages: emis users add --help)"
	@echo "The open data API: EMIS_HOME=$(DEMO) $(BIN)/emis api   (http://127.0.0.1:8000/api/v1/docs)"
ifneq ($(DEMO_PORTAL),0)
	EMIS_HOME=$(DEMO) EMIS_WAREHOUSE= $(BIN)/emis portal
endif

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_project/models

bench: venv
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# The open data API on a published release (needs Debian's wrk): API_HOME=<an EMIS_HOME>.
API_HOME ?= $(DEMO)
bench-api: venv
	$(BIN)/python -m benchmarks.api --home $(API_HOME) $(API_BENCH_ARGS)

# The OpenEMIS connector: fill a throwaway MariaDB, extract full and a one-day delta.
bench-openemis: venv
	$(BIN)/python -m benchmarks.openemis $(BENCH_ARGS)

clean:
	rm -rf var .pytest_cache .ruff_cache
