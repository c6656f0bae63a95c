"""DDL of the warehouse's raw, meta and quality schemas, for DuckDB and PostgreSQL alike.

``raw.<table>`` keeps every load of every register table (``load_id`` first), as the personal
data boundary shapes it. ``meta`` holds the load log, per-file reconciliation and quarantine,
and the builds.
``quality.dq_issues`` holds what ``emis check`` finds; it exists from the first load on, so the
monitoring marts build before any check has run.
"""

from __future__ import annotations

from ingestion.boundary import raw_columns
from ingestion.contract import TABLES, Table

TYPES = {
    "duckdb": {"text": "varchar", "double": "double"},
    "postgres": {"text": "text", "double": "double precision"},
}

META_TABLES = {
    "loads": [
        ("load_id", "bigint"),
        ("export_fingerprint", "text"),
        ("source", "text"),
        ("exported_at", "timestamp"),
        ("snapshot_date", "date"),
        ("academic_year", "text"),
        ("export_path", "text"),
        ("loaded_at", "timestamp"),
        ("rows_declared", "bigint"),
        ("rows_loaded", "bigint"),
        ("rows_quarantined", "bigint"),
        ("seconds", "double"),
        ("load_kind", "text"),  # full | delta (added later: last, so older warehouses migrate)
    ],
    "load_files": [
        ("load_id", "bigint"),
        ("file_name", "text"),
        ("table_name", "text"),
        ("file_format", "text"),
        ("encoding", "text"),
        ("delimiter", "text"),
        ("rows_declared", "bigint"),
        ("rows_read", "bigint"),
        ("rows_loaded", "bigint"),
        ("rows_quarantined", "bigint"),
        ("seconds", "double"),
        ("warnings", "text"),
    ],
    # One row per whole, successful `emis build`: the loads it went through. An incremental
    # build takes in the loads after the last one (macro loads_since_last_build).
    "builds": [
        ("built_through_load_id", "bigint"),
        ("build_kind", "text"),  # full | incremental
        ("finished_at", "timestamp"),
        # the dbt project it ran (warehouse.dbt_runner.project_fingerprint): incremental
        # models keep rows of earlier builds, so a changed project rebuilds in full
        ("project_fingerprint", "text"),
    ],
    "quarantine": [
        ("load_id", "bigint"),
        ("file_name", "text"),
        ("line_number", "bigint"),
        ("record_id", "text"),
        ("column_name", "text"),
        ("rule", "text"),
        ("value", "text"),
    ],
}
QUARANTINE_COLUMNS = [name for name, _ in META_TABLES["quarantine"]]

QUALITY_TABLES = {
    # One row per load x rule x record failing it: EMIS record ids only, no personal data.
    "dq_issues": [
        ("load_id", "bigint"),
        ("org_id", "text"),
        ("register", "text"),
        ("record_id", "text"),
        ("rule", "text"),
        ("severity", "text"),
        ("detected_at", "timestamp"),
    ],
}


def column_type(logical: str, dialect: str) -> str:
    return TYPES[dialect].get(logical, logical)


def raw_table_columns(table: Table) -> list[tuple[str, str]]:
    return [("load_id", "bigint"), *((c.name, c.type) for c in raw_columns(table))]


def create_statements(dialect: str) -> list[str]:
    """Idempotent DDL for every schema, table and view the loader writes to."""
    statements = [f"create schema if not exists {schema}" for schema in ("meta", "raw", "quality")]
    for name, columns in META_TABLES.items():
        statements.append(_create_table(f"meta.{name}", columns, dialect))
    for name, columns in QUALITY_TABLES.items():
        statements.append(_create_table(f"quality.{name}", columns, dialect))
    for table in TABLES:
        statements.append(_create_table(f"raw.{table.name}", raw_table_columns(table), dialect))
    # Warehouses created before deltas existed: their loads were all full exports.
    statements.append(
        f"alter table meta.loads add column if not exists load_kind {column_type('text', dialect)}"
    )
    # Warehouses built before builds recorded their project (the next build is full).
    statements.append(
        "alter table meta.builds add column if not exists project_fingerprint "
        f"{column_type('text', dialect)}"
    )
    # The latest export, full or delta: the snapshot date the warehouse stands at.
    statements.append(
        "create or replace view meta.latest_load as select load_id, snapshot_date from meta.loads "
        "order by snapshot_date desc, load_id desc limit 1"
    )
    # The loads staging reads: the latest full export (by snapshot date) and every delta after
    # it, in order; a record's row from the latest of them wins (dbt macro current_rows).
    statements.append(
        """
        create or replace view meta.current_loads as
        with ordered as (
            select load_id, snapshot_date, coalesce(load_kind, 'full') as load_kind,
                   row_number() over (order by snapshot_date, load_id) as load_sequence
            from meta.loads
        ),
        base as (select max(load_sequence) as base_sequence from ordered where load_kind = 'full')
        select ordered.load_id, ordered.snapshot_date, ordered.load_kind, ordered.load_sequence,
               ordered.load_sequence = base.base_sequence as is_base
        from ordered cross join base
        where ordered.load_sequence >= base.base_sequence
        """
    )
    return statements


def _create_table(name: str, columns: list[tuple[str, str]], dialect: str) -> str:
    body = ", ".join(f'"{column}" {column_type(kind, dialect)}' for column, kind in columns)
    return f"create table if not exists {name} ({body})"
