# ruff: noqa: E501  (SQL text and lookup tables read better unwrapped)
"""`emis extract openemis`: an OpenEMIS Core database -> a register contract export.

Three steps, each small:

1. **pull** (``source.py``): the tables the contract needs, inside one consistent snapshot,
   into an in-memory DuckDB. Attendance is collapsed from periods to days on the server
   (GROUP BY), so only a day's summary crosses the wire.
2. **derive** (``derive.sql``): DuckDB SQL turns OpenEMIS rows into contract rows: events
   from stints, codes through the mapping file, custom fields into columns. Every lookup code
   in use must be in the mapping: the first missing one stops the extraction
   (:class:`UnmappedCodeError`) before anything is written.
3. **write**: CSV files and ``manifest.json`` into a temporary folder beside ``--out``, renamed
   into place at the end, so a failure (a lost connection, a missing code) leaves ``--out``
   as it was.

With ``--since`` the export is a delta (docs/ingestion.md): only what changed after the
previous extraction's watermark (minus an overlap), deletions from ``deleted_records``, and a
trailing window of attendance dates (OpenEMIS keeps no timestamps on attendance).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from emis import __version__
from ingestion.contract import MANIFEST_FILE, TABLES_BY_NAME
from ingestion.manifest import read_manifest, sha256_of
from ingestion.openemis.mapping import LOOKUPS, Mapping, UnmappedCodeError, load_mapping
from ingestion.openemis.source import (
    DriverError,
    Dsn,
    Loader,
    SourceError,
    open_snapshot,
    parse_dsn,
    pull,
)
from ingestion.readers import FileError
from ingestion.synthetic.export import CSV_OPTIONS

DERIVE_SQL = Path(__file__).with_name("derive.sql")
CONTRACT_FILES = (
    "organizations",
    "students",
    "enrolments",
    "classes",
    "staff",
    "staff_assignments",
    "infrastructure",
    "grades",
    "attendance_marks",
    "absences",
)
# What the round trip contract export -> OpenEMIS -> export cannot give back, and why
# (docs/openemis.md explains each). Ids are not lost but renamed: classes and assignments get
# OpenEMIS's numeric ids, events the id of the stint they come from.
LOSSY_COLUMNS: dict[str, dict[str, str]] = {
    "enrolments": {
        "event_id": "derived: <stint id>:in / <stint id>:out",
        "study_form (exits)": "an exit carries its stint's study form",
    },
    "classes": {
        "language": "OpenEMIS classes have no language: the organization's, if it has one",
        "class_type": "only 'combined' (a class spanning grades) is known",
    },
    "attendance_marks": {"marked_at": "OpenEMIS keeps no time: the date at 00:00 UTC"},
    "infrastructure": {
        column: "not in OpenEMIS's infrastructure tables"
        for column in (
            "building_condition",
            "heating",
            "computers_for_teaching",
            "has_canteen",
            "has_gym",
            "library_books",
        )
    },
}
OVERLAP = dt.timedelta(hours=1)  # rows committed late with earlier timestamps are caught
ATTENDANCE_WINDOW_DAYS = 14  # attendance dates re-read on every delta (no timestamps there)
# DuckDB's share of the client's 2 GB budget (1 GB ran out nationally)
MEMORY_LIMIT = "1500MB"


@dataclass
class ExtractResult:
    path: Path
    kind: str  # "full" | "delta"
    rows: dict[str, int] = field(default_factory=dict)  # contract file -> rows written
    pulled: dict[str, tuple[int, float]] = field(default_factory=dict)  # source -> rows, s
    steps: dict[str, float] = field(default_factory=dict)  # pull, check, derive, write -> s
    derived: dict[str, float] = field(default_factory=dict)  # derive.sql's tables -> s
    written: dict[str, float] = field(default_factory=dict)  # contract files -> s
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    watermark: str = ""


@dataclass(frozen=True)
class Window:
    """What a delta re-reads: rows changed at or after ``since``, attendance from ``from_date``."""

    since: dt.datetime
    from_date: dt.date


def extract(
    dsn: str,
    as_of: dt.date,
    out: Path,
    mapping: Mapping | None = None,
    since: Path | None = None,
    population: Path | None = None,
    force: bool = False,
    progress: bool = True,
    overlap: dt.timedelta = OVERLAP,
    attendance_days: int = ATTENDANCE_WINDOW_DAYS,
) -> ExtractResult:
    started = time.perf_counter()
    mapping = mapping or load_mapping()
    target = Path(out)
    if target.exists() and any(target.iterdir()) and not force:
        raise FileExistsError(f"{target} is not empty (use --force to replace it)")
    source = parse_dsn(dsn)
    window = _window(since, as_of, overlap, attendance_days) if since else None
    result = ExtractResult(path=target, kind="delta" if window else "full")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    # The pulled tables live in a DuckDB file in the work folder beside the output, spilling
    # there past memory_limit: a national database is larger than the client's memory budget.
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-work-", dir=target.parent))
    duck = duckdb.connect()
    try:
        # A DuckDB file in the work folder: its blocks can always be evicted, so DuckDB keeps to
        # memory_limit (in memory, a national extraction ran out of it in out_absences).
        duck.execute(f"ATTACH '{work / 'extract.duckdb'}' AS extraction; USE extraction")
        duck.execute(
            f"SET TimeZone = 'UTC'; SET preserve_insertion_order = false; "
            f"SET memory_limit = '{MEMORY_LIMIT}'; SET temp_directory = '{work / 'spill'}'"
        )
        conn, now = open_snapshot(source)
        try:
            result.watermark = now.isoformat(timespec="seconds")
            if window and _has_deletions(conn, duck, window, result):
                window = None
                result.kind = "full"
            _pull_all(conn, duck, mapping, window, result, progress)
        finally:
            conn.close()
        clock = _Clock(result.steps, started)
        clock("pull")
        _check_codes(duck, mapping)
        clock("check")
        result.derived = _derive(
            duck, mapping, as_of, window, write=lambda name: _write(duck, staging, name, result)
        )
        result.warnings.extend(_warnings(duck))
        clock("derive")
        result.steps["write"] = sum(result.written.values())  # inside derive: files as made
        result.steps["derive"] -= result.steps["write"]
        if population is not None:
            shutil.copyfile(population, staging / "population.csv")
            result.rows["population.csv"] = _count_csv(staging / "population.csv")
        _write_manifest(staging, result, source, mapping, as_of, _academic_year(duck, as_of), since)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        duck.close()
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    result.seconds = time.perf_counter() - started
    return result


class _Clock:
    """Seconds per step of an extraction, for the summary (where the time goes)."""

    def __init__(self, steps: dict[str, float], started: float) -> None:
        self.steps, self.last = steps, started

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.steps[step] = now - self.last
        self.last = now


def _window(since: Path, as_of: dt.date, overlap: dt.timedelta, days: int) -> Window:
    manifest = json.loads((since / MANIFEST_FILE).read_text(encoding="utf-8"))
    mark = manifest.get("openemis", {}).get("watermark")
    if not mark:
        raise FileError(
            str(since / MANIFEST_FILE), "not written by `emis extract openemis`: no watermark"
        )
    return Window(dt.datetime.fromisoformat(mark) - overlap, as_of - dt.timedelta(days=days))


def _has_deletions(conn, duck, window: Window, result: ExtractResult) -> bool:
    """Deleted rows a delta cannot retract: the contract's deltas only add and correct rows."""
    pull(
        conn,
        duck,
        "s_deleted_records",
        "SELECT reference_table, COUNT(*) AS n FROM deleted_records WHERE deleted_date >= %s "
        "GROUP BY reference_table",
        (window.since,),
    )
    deleted = duck.execute("SELECT reference_table, n FROM s_deleted_records ORDER BY 1").fetchall()
    if deleted:
        listed = ", ".join(f"{n:,} in {table}" for table, n in deleted)
        result.warnings.append(
            f"rows were deleted since the last extraction ({listed}); a delta cannot retract "
            "rows, so this extraction is a full one"
        )
    return bool(deleted)


# -- pull ------------------------------------------------------------------------------------

_LOOKUP_TABLES = (
    "academic_periods",
    "institution_types",
    "institution_localities",
    "institution_sectors",
    "institution_providers",
    "institution_statuses",
    "shift_options",
    "genders",
    "nationalities",
    "identity_types",
    "contact_types",
    "special_need_types",
    "student_statuses",
    "student_transfer_reasons",
    "student_withdraw_reasons",
    "education_grades",
    "education_programmes",
    "education_subjects",
    "assessment_periods",
    "absence_types",
    "staff_position_titles",
    "staff_types",
    "qualification_levels",
    "qualification_titles",
    "student_custom_fields",
    "staff_custom_fields",
    "institution_custom_fields",
)

_CHANGED = "(modified >= %(since)s OR created >= %(since)s)"
_PERSONS_CHANGED = " UNION ".join(
    f"SELECT {key} FROM {table} WHERE {_CHANGED}"
    for table, key in (
        ("security_users", "id"),
        ("user_identities", "security_user_id"),
        ("user_contacts", "security_user_id"),
        ("user_special_needs_assessments", "security_user_id"),
        ("student_custom_field_values", "student_id"),
        ("staff_custom_field_values", "staff_id"),
        ("staff_qualifications", "staff_id"),
        ("staff_trainings", "staff_id"),
    )
)
_LEARNERS_MOVED = " UNION ".join(
    f"SELECT student_id FROM {table} WHERE {_CHANGED}"
    for table in (
        "institution_students",
        "institution_student_transfers",
        "institution_student_withdraw",
        "institution_class_students",
    )
)


@dataclass(frozen=True)
class Changes:
    """What a delta re-reads, found first with one scan per table and fetched as id lists (a
    correlated IN (SELECT ... UNION ...) runs once per row on MariaDB)."""

    persons: tuple[int, ...]  # security_users whose record or sub-records changed
    learners: tuple[int, ...]  # learners whose stints, transfers, withdrawals or classes changed
    absence_dates: tuple[dt.date, ...]  # dates with absences entered or corrected


def find_changes(conn, window: Window) -> Changes:
    params = {"since": window.since}

    def column(query: str) -> tuple:
        try:
            with conn.cursor() as cur:
                cur.execute(query, params)
                return tuple(sorted(row[0] for row in cur.fetchall() if row[0] is not None))
        except DriverError as error:
            raise SourceError(f"finding changes: {error.args[-1]}") from None

    return Changes(
        persons=column(_PERSONS_CHANGED),
        learners=column(_LEARNERS_MOVED),
        absence_dates=column(
            "SELECT DISTINCT date FROM institution_student_absence_details WHERE " + _CHANGED
        ),
    )


def _in(values: tuple) -> str:
    """A literal IN list (ints and dates only, never user text)."""
    if not values:
        return "(NULL)"
    return (
        "(" + ", ".join(f"'{v}'" if isinstance(v, dt.date) else str(int(v)) for v in values) + ")"
    )


def _source_queries(window: Window | None, changes: Changes | None = None) -> list[tuple[str, str]]:
    """(DuckDB table, MariaDB query) for everything the derivation reads."""
    changes = changes or Changes((), (), ())
    persons = f"WHERE {{key}} IN {_in(changes.persons)}" if window else ""
    moved = f"WHERE student_id IN {_in(changes.learners)}" if window else ""
    dates = _in(changes.absence_dates)
    marks_where = f"WHERE (date >= %(from_date)s OR date IN {dates})" if window else ""
    absences_where = f"WHERE (date >= %(from_date)s OR date IN {dates})" if window else ""
    # the latest result entered stands, and a changed result is newer than any it corrects
    results_where = f"WHERE {_CHANGED}" if window else ""
    queries = [(f"s_{t}", f"SELECT * FROM {t}") for t in _LOOKUP_TABLES]
    queries += [
        ("s_areas", "SELECT id, lft, rght, code, name, area_level_id FROM areas"),
        ("s_institutions", "SELECT * FROM institutions"),
        ("s_institution_shifts", "SELECT * FROM institution_shifts"),
        ("s_institution_custom_field_values", "SELECT * FROM institution_custom_field_values"),
        ("s_user_nos", "SELECT id, openemis_no FROM security_users"),
        ("s_security_users", "SELECT * FROM security_users " + persons.format(key="id")),
    ]
    for table, key in (
        ("user_identities", "security_user_id"),
        ("user_contacts", "security_user_id"),
        ("user_special_needs_assessments", "security_user_id"),
        ("student_custom_field_values", "student_id"),
        ("staff_custom_field_values", "staff_id"),
        ("staff_qualifications", "staff_id"),
        ("staff_trainings", "staff_id"),
    ):
        queries.append((f"s_{table}", f"SELECT * FROM {table} " + persons.format(key=key)))
    for table in (
        "institution_students",
        "institution_student_transfers",
        "institution_student_withdraw",
        "institution_class_students",
    ):
        queries.append((f"s_{table}", f"SELECT * FROM {table} {moved}"))
    queries += [
        ("s_institution_classes", "SELECT * FROM institution_classes"),
        ("s_institution_class_grades", "SELECT * FROM institution_class_grades"),
        ("s_institution_positions", "SELECT * FROM institution_positions"),
        ("s_institution_staff", "SELECT * FROM institution_staff"),
        (
            "s_assessment_item_results",
            "SELECT id, student_id, education_subject_id, assessment_period_id, academic_period_id, "
            f"institution_classes_id, marks, modified, created FROM assessment_item_results {results_where}",
        ),
        # a class-day's marked periods (a period with no scheduled class is not marked)
        (
            "s_marked_days",
            "SELECT institution_class_id, date, COUNT(DISTINCT period) AS periods "
            f"FROM student_attendance_marked_records {marks_where} "
            + ("AND" if window else "WHERE")
            + " COALESCE(no_scheduled_class, 0) = 0 "
            "GROUP BY institution_class_id, date",
        ),
        # absences per period, as entered: collapsed to days in derive.sql (faster in DuckDB
        # than by the server's GROUP BY, which sorts them in a temporary table)
        (
            "s_institution_student_absence_details",
            "SELECT student_id, institution_class_id, date, period, absence_type_id, created "
            f"FROM institution_student_absence_details {absences_where}",
        ),
    ]
    for table in (
        "infrastructure_utility_electricities",
        "infrastructure_utility_internets",
        "infrastructure_wash_waters",
        "infrastructure_wash_sanitations",
        "infrastructure_wash_hygienes",
        "institution_buildings",
        "institution_rooms",
    ):
        queries.append((f"s_{table}", f"SELECT * FROM {table}"))
    return queries


def tables_read() -> list[str]:
    """Every OpenEMIS table the connector reads: what the read-only user is granted."""
    window = Window(dt.datetime(2000, 1, 1), dt.date(2000, 1, 1))
    queries = [query for _, query in _source_queries(window)]
    queries.append("SELECT * FROM deleted_records")
    return sorted({t for q in queries for t in re.findall(r"(?:FROM|JOIN)\s+(\w+)", q)})


def _pull_all(conn, duck, mapping, window, result, progress: bool) -> None:
    from tqdm import tqdm

    params = {"since": window.since, "from_date": window.from_date} if window else None
    changes = find_changes(conn, window) if window else None
    with Loader(duck) as loader:
        for name, query in _source_queries(window, changes):
            started = time.perf_counter()
            with tqdm(
                desc=f"pull {name[2:]:<36}",
                unit=" rows",
                disable=not progress,
                unit_scale=True,
                leave=False,
            ) as bar:
                rows = pull(
                    conn,
                    duck,
                    name,
                    query,
                    params if params and "%(" in query else (),
                    on_rows=bar.update,
                    loader=loader,
                )
            # rows/s from the server to the spool; DuckDB loads it meanwhile
            result.pulled[name[2:]] = (rows, time.perf_counter() - started)
        loader.wait()
    for key, rows in ((k, mapping.rows(k)) for k in LOOKUPS):
        table = "m_" + key.replace(".", "_")
        width = 3 if key in ("staff.position", "education.grade") else 2
        kinds = ("VARCHAR", "VARCHAR", "INT" if key == "education.grade" else "VARCHAR")[:width]
        duck.execute(
            f"CREATE TABLE {table} (code VARCHAR, value {kinds[1]}"
            + (f", extra {kinds[2]}" if width == 3 else "")
            + ")"
        )
        if rows:
            duck.executemany(
                f"INSERT INTO {table} VALUES ({', '.join('?' * width)})",
                [tuple(str(v) if i < 2 else v for i, v in enumerate(r)) for r in rows],
            )
    custom = [(e, c, code) for e, cols in mapping.custom_fields.items() for c, code in cols.items()]
    duck.execute("CREATE TABLE m_custom (entity VARCHAR, col VARCHAR, code VARCHAR)")
    if custom:
        duck.executemany("INSERT INTO m_custom VALUES (?, ?, ?)", custom)


# -- codes -----------------------------------------------------------------------------------

# mapping section -> (lookup code column, the rows that use it joined to the lookup)
_CODES_IN_USE = {
    "organizations.org_type": (
        "l.national_code",
        "s_institutions i JOIN s_institution_types l ON l.id = i.institution_type_id",
    ),
    "organizations.ownership": (
        "l.national_code",
        "s_institutions i JOIN s_institution_providers l ON l.id = i.institution_provider_id",
    ),
    "organizations.locality": (
        "l.national_code",
        "s_institutions i JOIN s_institution_localities l ON l.id = i.institution_locality_id",
    ),
    "organizations.status": (
        "l.code",
        "s_institutions i JOIN s_institution_statuses l ON l.id = i.institution_status_id",
    ),
    "organizations.shift": (
        "l.national_code",
        "s_institution_shifts i JOIN s_shift_options l ON l.id = i.shift_option_id",
    ),
    "persons.document_type": (
        "l.national_code",
        "s_security_users i JOIN s_identity_types l ON l.id = i.identity_type_id",
    ),
    "persons.disability": (
        "l.national_code",
        "s_user_special_needs_assessments i JOIN s_special_need_types l ON l.id = i.special_need_type_id",
    ),
    "staff.education_level": (
        "l.national_code",
        "s_staff_qualifications i JOIN s_qualification_titles t ON t.id = i.qualification_title_id JOIN s_qualification_levels l ON l.id = t.qualification_level_id",
    ),
    "staff.position": (
        "l.national_code",
        "s_institution_staff i JOIN s_institution_positions p ON p.id = i.institution_position_id JOIN s_staff_position_titles l ON l.id = p.staff_position_title_id",
    ),
    "staff.primary_job": (
        "l.national_code",
        "s_institution_staff i JOIN s_staff_types l ON l.id = i.staff_type_id",
    ),
    "enrolments.transfer_reason": (
        "l.national_code",
        "s_institution_student_transfers i JOIN s_student_transfer_reasons l ON l.id = i.student_transfer_reason_id",
    ),
    "enrolments.withdraw_reason": (
        "l.national_code",
        "s_institution_student_withdraw i JOIN s_student_withdraw_reasons l ON l.id = i.student_withdraw_reason_id",
    ),
    "grades.term": (
        "l.code",
        "s_assessment_item_results i JOIN s_assessment_periods l ON l.id = i.assessment_period_id",
    ),
    "infrastructure.water_source": ("water_type", "s_infrastructure_wash_waters"),
    "infrastructure.toilets": ("sanitation_type", "s_infrastructure_wash_sanitations"),
    "education.grade": (
        "g.code",
        "(SELECT education_grade_id FROM s_institution_students UNION ALL SELECT education_grade_id FROM s_institution_class_grades) i JOIN s_education_grades g ON g.id = i.education_grade_id",
    ),
    "education.study_form": (
        "p.code",
        "s_institution_students i JOIN s_education_grades g ON g.id = i.education_grade_id JOIN s_education_programmes p ON p.id = g.education_programme_id",
    ),
}


def _check_codes(duck, mapping: Mapping) -> None:
    """Every lookup code in use is in the mapping file, else stop: never drop rows silently."""
    for key, query in _CODES_IN_USE.items():
        known = set(mapping.lookup(key).values)
        column, rows_using = query
        in_use = f"SELECT {column}, count(*) FROM {rows_using} GROUP BY 1"
        for code, rows in duck.execute(in_use).fetchall():
            if code is None or str(code) not in known:
                raise UnmappedCodeError(mapping.lookup(key).source, code, key, rows)


# -- derive ----------------------------------------------------------------------------------


def _derive(
    duck, mapping: Mapping, as_of: dt.date, window: Window | None, write: Callable[[str], None]
) -> dict[str, float]:
    """Run derive.sql; returns seconds per table it creates (the profile of the step).

    Memory stays bounded by dropping what is no longer needed: each table derive.sql creates
    is dropped after the last statement that names it, and each contract table (``out_*``)
    is then ``write``-n first. The client never holds all contract files at once."""
    timings: dict[str, float] = {}
    text = DERIVE_SQL.read_text().format(
        tz=mapping.timezone.replace("'", ""),
        as_of=as_of.isoformat(),
        district_level=int(mapping.district_level),
        pin_type=mapping.pin_identity_type.replace("'", "''"),
        pin_field=mapping.pin_custom_field.replace("'", "''"),
        phone_type=mapping.phone_contact_type.replace("'", "''"),
        month_day=mapping.survey_month_day,
        since=(window.since.isoformat(sep=" ") if window else "0001-01-01 00:00:00"),
    )
    statements = [st for st in text.split(";\n") if st.strip()]
    made: list[str] = []  # tables derive.sql created and has not dropped yet
    for index, statement in enumerate(statements):
        started = time.perf_counter()
        try:
            duck.execute(statement)
        except duckdb.Error as error:  # a bug here, not bad data: say where
            raise RuntimeError(f"{error}\n-- in derive.sql --\n{statement.strip()[:400]}") from None
        created = re.search(r"CREATE TABLE\s+(\w+)", statement)
        name = created.group(1) if created else (_target(statement) or "other")
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started
        if created:
            made.append(created.group(1))
        later = "\n".join(statements[index + 1 :])
        for table in [t for t in made if not re.search(rf"\b{t}\b", later)]:
            made.remove(table)
            if table == "warnings":
                continue
            if table.startswith("out_"):
                write(table[4:])
            duck.execute(f"DROP TABLE IF EXISTS {table}")
    return timings


def _target(statement: str) -> str | None:
    found = re.search(r"(?:INSERT INTO|DROP TABLE)\s+(\w+)", statement)
    return found.group(1) if found else None


def _warnings(duck) -> list[str]:
    return [row[0] for row in duck.execute("SELECT message FROM warnings ORDER BY 1").fetchall()]


def _academic_year(duck, as_of: dt.date) -> str:
    rows = duck.execute(
        "SELECT code FROM s_academic_periods WHERE start_date <= ? ORDER BY start_date DESC LIMIT 1",
        [as_of],
    ).fetchall()
    if rows:
        return rows[0][0]
    start = as_of.year if as_of.month >= 9 else as_of.year - 1
    return f"{start}-{start + 1}"


# -- write -----------------------------------------------------------------------------------


def _write(duck, staging: Path, name: str, result: ExtractResult) -> None:
    """The contract file ``name`` from ``out_<name>``, in its key's order."""
    table = TABLES_BY_NAME[name]
    columns = ", ".join(f'"{c}"' for c in table.column_names)
    order = ", ".join(f'"{c}"' for c in (table.key or table.column_names))
    path = staging / f"{name}.csv"
    started = time.perf_counter()
    duck.execute(
        f"COPY (SELECT {columns} FROM out_{name} ORDER BY {order}) TO '{path}' ({CSV_OPTIONS})"
    )
    result.rows[f"{name}.csv"] = duck.execute(f"SELECT count(*) FROM out_{name}").fetchall()[0][0]
    result.written[name] = time.perf_counter() - started


def _count_csv(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def _write_manifest(staging, result, source: Dsn, mapping, as_of, academic_year, since) -> None:
    manifest = {
        "source": f"OpenEMIS Core {source.safe} via emis-stats {__version__} connector",
        "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "snapshot_date": as_of.isoformat(),
        "academic_year": academic_year,
        **({"kind": "delta"} if result.kind == "delta" else {}),
        "files": {
            name: {"rows": rows, "sha256": sha256_of(staging / name)}
            for name, rows in sorted(result.rows.items())
        },
        "openemis": {
            "watermark": result.watermark,
            "since": str(since) if since else None,
            "mapping": str(mapping.path),
        },
    }
    (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


__all__ = ["ExtractResult", "SourceError", "UnmappedCodeError", "extract", "read_manifest"]
