"""The inputs of the state forms as one DuckDB file, for the restricted bundle of a release.

A form's reporting date is arbitrary, so a form cannot be filled in advance for every date;
the portal must not open the live warehouse either. A release therefore ships what the forms
read — the register histories, the movement events, the infrastructure surveys and the
classifiers — in a DuckDB file laid out like the warehouse (same schemas and table names),
and ``emis report`` (or the portal) fills any form for any date from it, read-only.

A release after a day's delta need not copy the registers again (about 10 s of a national
daily publish): it copies the previous release's file and replaces the records the loads
since then deliver (``carry_form_inputs``), when that file shows the same loads built by the
same dbt project (``Basis``, ``loads_to_carry``). A delta replaces its records' rows and no
other: a history recomputes a delivered record's versions, staging takes a delivered key's
row. A new full export, another dbt project or another extraction copies everything.

Columns derived from a PIN (its pseudonym and validity flags) are left out: no form reads
them, and the restricted bundle carries no column that could lead to a person.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
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
# The tables whose rows a delta replaces record by record: the raw table whose delivered keys
# name the records, and each key column there and here.
RECORDS = {
    "snapshots.snp_emis__organizations": ("organizations", {"org_id": "org_id"}),
    "snapshots.snp_emis__classes": ("classes", {"class_id": "class_id"}),
    "snapshots.snp_emis__staff": ("staff", {"staff_id": "staff_id"}),
    "snapshots.snp_emis__staff_assignments": ("staff_assignments",
                                              {"assignment_id": "assignment_id"}),
    "snapshots.snp_emis__students": ("students", {"student_id": "student_id"}),
    "staging.stg_emis__enrolment_events": ("enrolments", {"event_id": "event_id"}),
    "staging.stg_emis__infrastructure_surveys": ("infrastructure", {
        "org_id": "organization_id", "survey_date": "survey_date"}),
}  # fmt: skip
LATEST_LOAD = "meta.latest_load"  # rewritten each time; the classifiers are the dbt project's
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


@dataclass(frozen=True)
class Basis:
    """What a form-inputs file is copied from: the loads the warehouse's latest build went
    through, the dbt project that built them, the full export under them, and this module's
    extraction (``method``). Recorded in the release."""

    built_through_load_id: int
    project_fingerprint: str
    base_load_id: int
    method: str

    @classmethod
    def of(cls, recorded: dict | None) -> Basis | None:
        try:
            return cls(**recorded) if recorded else None
        except TypeError:  # recorded by another version: copied again
            return None

    def as_record(self) -> dict:
        return asdict(self)


def method() -> str:
    """A fingerprint of the extraction: this module's source and DuckDB's version."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(duckdb.__version__.encode())
    return digest.hexdigest()[:16]


def basis(settings: Settings) -> Basis | None:
    """The warehouse's basis now; None before its first build."""
    from warehouse.read import query

    rows = query(
        settings,
        "select builds.built_through_load_id, builds.project_fingerprint, "
        "(select load_id from meta.current_loads where is_base) "
        "from meta.builds as builds "
        "order by builds.finished_at desc, builds.built_through_load_id desc limit 1",
    )
    if not rows or rows[0][0] is None or rows[0][1] is None:
        return None
    through, project, base = rows[0]
    return Basis(int(through), str(project), int(base), method())


def loads_to_carry(settings: Settings, earlier: Basis | None, now: Basis | None):
    """The loads whose records replace those of a file of basis ``earlier`` to give the
    warehouse's tables now, or None when it must be copied whole: after a new full export,
    by another dbt project or another extraction. The loads are every current one after
    ``earlier``'s build, built since or not (staging shows an unbuilt load's rows on DuckDB)."""
    from warehouse.read import query

    if earlier is None or now is None or now.built_through_load_id < earlier.built_through_load_id:
        return None
    if replace(earlier, built_through_load_id=now.built_through_load_id) != now:
        return None  # another full export, dbt project or extraction
    later = query(
        settings,
        "select load_id, is_base from meta.current_loads where load_id > ? order by load_id",
        [earlier.built_through_load_id],
    )
    if any(is_base for _, is_base in later):
        return None
    return tuple(int(load_id) for load_id, _ in later)


def carry_form_inputs(
    settings: Settings, path: Path, earlier: Path, load_ids: tuple[int, ...]
) -> int:
    """The form inputs ``earlier`` copied to ``path``, the records the loads ``load_ids``
    deliver replaced from the warehouse of ``settings`` (``loads_to_carry``) and the latest
    load written again; returns the rows written."""
    import shutil

    path = Path(path)
    path.unlink(missing_ok=True)
    shutil.copyfile(earlier, path)
    with duckdb.connect(str(path)) as out:
        if settings.is_postgres:
            return _carry_from_postgres(settings, out, load_ids)
        out.execute(f"attach '{settings.warehouse_path}' as warehouse (read_only)")
        written = 0
        for name in (LATEST_LOAD, *RECORDS):
            columns = _kept(out.execute(f"select * from warehouse.{name} limit 0").description)
            rows = f"select {columns} from warehouse.{name} as source"
            if name in RECORDS:
                out.execute(
                    "create or replace temp table delivered as "
                    + delivered_keys(name, load_ids, "warehouse.")
                )
                rows += f" where {_delivered(name, 'source')}"
            out.execute(f"delete from {name} as target where {_delivered(name, 'target')}")
            written += out.execute(f"insert into {name} ({columns}) {rows}").fetchall()[0][0]
        out.execute("detach warehouse")
    return written


def delivered_keys(name: str, load_ids: tuple[int, ...], prefix: str = "") -> str:
    """The keys (as ``name`` names them) of the records the loads ``load_ids`` deliver."""
    raw, key = RECORDS[name]
    columns = ", ".join(f'delivered."{there}" as "{here}"' for there, here in key.items())
    listed = ", ".join(map(str, load_ids)) or "null"
    return (
        f"select distinct {columns} from {prefix}raw.{raw} as delivered "
        f"where delivered.load_id in ({listed})"
    )


def _delivered(name: str, alias: str, keys: str = "delivered") -> str:
    """``alias``'s row is a delivered record's: its key is in ``keys``, a relation aliased
    ``delivered`` (every row of a table not in RECORDS)."""
    if name not in RECORDS:
        return "true"
    matched = " and ".join(
        f'delivered."{column}" = {alias}."{column}"' for column in RECORDS[name][1].values()
    )
    return f"exists (select 1 from {keys} where {matched})"


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
    types = _postgres_types(conn, name)
    declared = ", ".join(f'"{column}" {kind}' for column, kind in types.items())
    out.execute(f"create table {name} ({declared})")
    _spool_into(conn, out, name, f"select {_listed(types)} from {name}", types, spool)


def _carry_from_postgres(settings: Settings, out: duckdb.DuckDBPyConnection, load_ids) -> int:
    """``carry_form_inputs`` from PostgreSQL: the delivered keys and the records' rows spooled
    as CSV (``COPY``) like a whole table."""
    import tempfile

    import psycopg

    scratch = settings.home / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        psycopg.connect(settings.warehouse) as conn,
        tempfile.TemporaryDirectory(prefix="form-inputs-", dir=scratch) as folder,
    ):
        spool = Path(folder) / "rows.csv"
        for name in (LATEST_LOAD, *RECORDS):
            types = _postgres_types(conn, name)
            rows = f"select {_listed(types)} from {name} as source"
            if name in RECORDS:
                keys = delivered_keys(name, load_ids)
                key_types = {column: types[column] for column in RECORDS[name][1].values()}
                declared = ", ".join(f'"{column}" {kind}' for column, kind in key_types.items())
                out.execute(f"create or replace temp table delivered ({declared})")
                _spool_into(conn, out, "delivered", keys, key_types, spool)
                rows += f" where {_delivered(name, 'source', f'({keys}) as delivered')}"
            out.execute(f"delete from {name} as target where {_delivered(name, 'target')}")
            written += _spool_into(conn, out, name, rows, types, spool)
    return written


def _postgres_types(conn, name: str) -> dict[str, str]:
    """The DuckDB type of each column of the PostgreSQL table ``name`` but those LEFT_OUT."""
    described = conn.execute(f"select * from {name} limit 0").description
    return {
        column.name: DUCKDB_TYPES.get(column.type_code, "varchar")
        for column in described
        if column.name not in LEFT_OUT
    }


def _listed(types: dict[str, str]) -> str:
    return ", ".join(f'"{column}"' for column in types)


def _spool_into(conn, out, table: str, select: str, types: dict[str, str], spool: Path) -> int:
    """The rows of the PostgreSQL query ``select`` (columns ``types``) inserted into the
    DuckDB table ``table`` through ``spool``; returns their number."""
    copied = f"copy ({select}) to stdout (format csv)"
    with spool.open("wb") as file, conn.cursor() as cursor, cursor.copy(copied) as copy:
        for block in copy:
            file.write(block)
    if spool.stat().st_size == 0:  # no row: nothing for DuckDB's reader to detect
        spool.unlink()
        return 0
    struct = ", ".join(f"'{column}': '{kind}'" for column, kind in types.items())
    inserted = out.execute(
        f"insert into {table} ({_listed(types)}) select * from read_csv(?, header = false, "
        f"columns = {{{struct}}}, allow_quoted_nulls = false)",
        [str(spool)],
    ).fetchall()[0][0]
    spool.unlink()
    return inserted
