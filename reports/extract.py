"""The inputs of the state forms as one DuckDB file, for the restricted bundle of a release.

A form's reporting date is arbitrary, so a form cannot be filled in advance for every date;
the portal must not open the live warehouse either. A release therefore ships what the forms
read — the register histories, the movement events, the infrastructure surveys and the
classifiers — in a DuckDB file laid out like the warehouse (same schemas and table names),
and ``emis report`` (or the portal) fills any form for any date from it, read-only.

Columns derived from a PIN (its pseudonym and validity flags) are left out: no form reads
them, and the restricted bundle carries no column that could lead to a person.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from emis.settings import Settings, load_settings

# schema.table -> the relation that fills it (meta.latest_load is a view in the warehouse)
FORM_INPUTS = (
    "meta.latest_load",
    "reference.event_types",
    "reference.isced_levels",
    "reference.organization_types",
    "reference.staff_positions",
    "reference.territories",
    "snapshots.snp_emis__organizations",
    "snapshots.snp_emis__classes",
    "snapshots.snp_emis__staff",
    "snapshots.snp_emis__staff_assignments",
    "snapshots.snp_emis__students",
    "staging.stg_emis__enrolment_events",
    "staging.stg_emis__infrastructure_surveys",
)
LEFT_OUT = ("pin_pseudonym", "has_pin", "is_pin_format_valid", "is_pin_sex_consistent",
            "is_pin_birth_date_consistent")  # fmt: skip


def write_form_inputs(settings: Settings, path: Path) -> Path:
    """Copy the forms' inputs from the warehouse of ``settings`` into a new DuckDB file."""
    path = Path(path)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as out:
        for schema in sorted({name.split(".")[0] for name in FORM_INPUTS}):
            out.execute(f"create schema {schema}")
        if settings.is_postgres:
            _copy_from_postgres(settings, out)
        else:
            out.execute(f"attach '{settings.warehouse_path}' as warehouse (read_only)")
            for name in FORM_INPUTS:
                columns = _kept(out.execute(f"select * from warehouse.{name} limit 0").description)
                out.execute(f"create table {name} as select {columns} from warehouse.{name}")
            out.execute("detach warehouse")
    return path


def form_settings(path: Path, home: Path) -> Settings:
    """Settings that make ``emis report``'s functions read a form-inputs file."""
    return load_settings({"EMIS_HOME": str(home), "EMIS_WAREHOUSE": str(path)})


def _kept(description) -> str:
    return ", ".join(f'"{column[0]}"' for column in description if column[0] not in LEFT_OUT)


# PostgreSQL column types (OIDs) as DuckDB types; anything else is copied as text.
DUCKDB_TYPES = {
    16: "boolean", 20: "bigint", 21: "smallint", 23: "integer", 700: "real", 701: "double",
    1700: "double", 1082: "date", 1114: "timestamp", 1184: "timestamptz",
}  # fmt: skip


def _copy_from_postgres(settings: Settings, out: duckdb.DuckDBPyConnection) -> None:
    """Each table written by the server as CSV (``COPY ... TO STDOUT``) into a spool file and
    read by DuckDB as the columns' types: no row passes through Python (fetched row by row,
    nationally 47 s; a whole table at once took 9 GB). An unquoted empty field is a missing
    value, a quoted one an empty string, as PostgreSQL writes them."""
    import tempfile

    import psycopg

    scratch = settings.home / "tmp"  # beside the warehouse's own work, not in a RAM /tmp
    scratch.mkdir(parents=True, exist_ok=True)
    with (
        psycopg.connect(settings.warehouse) as conn,
        tempfile.TemporaryDirectory(prefix="form-inputs-", dir=scratch) as spool,
    ):
        for name in FORM_INPUTS:
            copy_table_from_postgres(conn, out, name, Path(spool) / f"{name}.csv")


def copy_table_from_postgres(conn, out: duckdb.DuckDBPyConnection, name: str, spool: Path) -> None:
    """The PostgreSQL table ``name`` (but the columns LEFT_OUT) as the DuckDB table ``name``,
    through the CSV file ``spool``, removed once read: the disk holds one table at a time."""
    described = conn.execute(f"select * from {name} limit 0").description
    columns = [column for column in described if column.name not in LEFT_OUT]
    types = {column.name: DUCKDB_TYPES.get(column.type_code, "varchar") for column in columns}
    declared = ", ".join(f'"{column}" {kind}' for column, kind in types.items())
    out.execute(f"create table {name} ({declared})")
    selected = ", ".join(f'"{column}"' for column in types)
    copied = f"copy (select {selected} from {name}) to stdout (format csv)"
    with spool.open("wb") as file, conn.cursor() as cursor, cursor.copy(copied) as copy:
        for block in copy:
            file.write(block)
    struct = ", ".join(f"'{column}': '{kind}'" for column, kind in types.items())
    out.execute(
        f"insert into {name} select * from read_csv(?, header = false, "
        f"columns = {{{struct}}}, allow_quoted_nulls = false)",
        [str(spool)],
    )
    spool.unlink()
