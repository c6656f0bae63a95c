"""A stand-in for `emis publish`, in one place, until warehouse/release/ (issue 7) lands.

It writes the release layout the portal reads, from a built DuckDB warehouse:

    <home>/releases/<release_id>/open/        open.duckdb (observations with ``symbol``,
                                              indicators, territories, footnotes, release),
                                              the same as Parquet and CSV, observations as
                                              SDMX-CSV, datapackage.json, data-guidance.md,
                                              data-dictionary.html
    <home>/releases/<release_id>/restricted/  monitoring_organizations, monitoring_territories,
                                              monitoring_issues, dq_issues (Parquet), forms/
    <home>/releases/current -> <release_id>

Only tests, the browser tests and the benchmark use it. Its disclosure control is a crude
threshold (counts 1-4 and shares over fewer than 5 become ``c``): the real rule, secondary
suppression and the audit belong to `emis publish`. Replace every call of
:func:`build_release` by the real publish when it exists, then delete this module.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

THRESHOLD = 5
OPEN_TABLES = ("observations", "indicators", "territories", "footnotes", "release")
RESTRICTED_TABLES = {
    "monitoring_organizations": "marts_monitoring.monitoring_organizations",
    "monitoring_territories": "marts_monitoring.monitoring_territories",
    "monitoring_issues": "marts_monitoring.monitoring_issues",
    "dq_issues": "quality.dq_issues",
}
SYMBOL_SQL = f"""
    case
        when unit = 'count' and value > 0 and value < {THRESHOLD} then 'c'
        when unit <> 'count' and denominator > 0 and denominator < {THRESHOLD} then 'c'
        when value is null and denominator = 0 then 'z'
        when value is null then 'x'
    end
"""
FOOTNOTES = [
    (
        "attendance_rate",
        "Months before the snapshot date only.",
        "Только месяцы до даты выгрузки.",
        "Выгрузуу күнүнө чейинки айлар гана.",
    ),
    (
        "ger",
        "Population estimates on 1 January; may exceed 100.",
        "Оценка численности населения на 1 января; может превышать 100.",
        "1-январдагы калктын саны боюнча баалоо; 100дөн ашышы мүмкүн.",
    ),
]


def build_release(
    warehouse: Path, home: Path, release_id: str = "2026-01-15.1", notes: str = ""
) -> Path:
    """Write a release from ``warehouse`` under ``home``/releases and make it current."""
    root = Path(home) / "releases" / release_id
    open_dir, restricted_dir = root / "open", root / "restricted"
    for folder in (open_dir, restricted_dir, restricted_dir / "forms"):
        folder.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(open_dir / "open.duckdb")) as con:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        _write_open(con, release_id, notes)
        for table in OPEN_TABLES:
            con.execute(f"copy {table} to '{open_dir / table}.parquet' (format parquet)")
            con.execute(f"copy {table} to '{open_dir / table}.csv' (header)")
        _write_sdmx(con, open_dir / "observations.sdmx.csv")
        for name, source in RESTRICTED_TABLES.items():
            _copy_restricted(con, source, restricted_dir / f"{name}.parquet")
    _write_guidance(open_dir)
    _switch_current(Path(home) / "releases", release_id)
    return root


def _write_open(con: duckdb.DuckDBPyConnection, release_id: str, notes: str) -> None:
    con.execute(f"""
        create table observations as
        with symbols as (select *, {SYMBOL_SQL} as symbol from wh.marts_open.observations)
        select * replace (
            case when symbol = 'c' then null else numerator end as numerator,
            case when symbol = 'c' then null else denominator end as denominator,
            case when symbol is null then value end as value
        )
        from symbols
    """)
    con.execute("create table indicators as select * from wh.reference.indicators")
    con.execute("create table territories as select * from wh.reference.territories")
    con.execute(
        "create table footnotes (indicator_id varchar, footnote_en varchar, "
        "footnote_ru varchar, footnote_ky varchar)"
    )
    con.executemany("insert into footnotes values (?, ?, ?, ?)", FOOTNOTES)
    con.execute(
        "create table release as select ? as release_id, ? as published_at, "
        "max(academic_year) as academic_year, max(reference_date) as reference_date, "
        "? as notes from observations",
        [release_id, dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(), notes],
    )


def _write_sdmx(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(f"""
        copy (
            select 'dataflow' as STRUCTURE, 'KG_EMIS:DF_EDU(1.0)' as STRUCTURE_ID,
                'I' as ACTION, indicator_id as INDICATOR, territory_code as REF_AREA,
                sex as SEX, level as EDU_LEVEL, academic_year as TIME_PERIOD,
                value as OBS_VALUE, symbol as OBS_STATUS
            from observations
        ) to '{path}' (header)
    """)


def _copy_restricted(con: duckdb.DuckDBPyConnection, source: str, path: Path) -> None:
    schema, table = source.split(".")
    exists = con.execute(
        "select count(*) from duckdb_tables() "
        "where database_name = 'wh' and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()[0][0]
    if exists:
        con.execute(f"copy (select * from wh.{source}) to '{path}' (format parquet)")


def _write_guidance(open_dir: Path) -> None:
    (open_dir / "data-guidance.md").write_text(
        "# Data guidance\n\nOne row per indicator × year × territory × breakdown. "
        "`symbol`: c suppressed, z not applicable, x unavailable.\n",
        encoding="utf-8",
    )
    (open_dir / "data-dictionary.html").write_text(
        "<html><body><h1>Data dictionary (stand-in)</h1></body></html>", encoding="utf-8"
    )
    files = sorted(p.name for p in open_dir.iterdir() if p.suffix in (".csv", ".parquet"))
    package = {"name": "kg-emis-open", "resources": [{"path": name} for name in files]}
    (open_dir / "datapackage.json").write_text(json.dumps(package, indent=2), encoding="utf-8")


def _switch_current(releases: Path, release_id: str) -> None:
    """Point ``current`` at the release atomically (a new link renamed over the old one)."""
    link = releases / "current"
    temporary = releases / f".current-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(release_id)
    temporary.replace(link)
