"""`emis generate --delta-from DIR --days N`: the next days' changes to a synthetic export.

A delta export (``"kind": "delta"`` in its manifest) holds only what changed after the base
export's snapshot date, as the EMIS would send each night:

- attendance taken in every school class on each school day, and the day's absences;
- new movement events: pupils who drop out or move abroad;
- corrections of earlier rows: learners' records amended (nationality, benefit), absences of
  the last two weeks re-typed as excused once a note arrives, failing quarter marks raised
  after a retake.

Everything is drawn from hashes of record ids, the day and the seed, inside DuckDB: the same
base, days and seed give byte-identical files. The delta's snapshot date is the base's plus
``days``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from emis import __version__
from emis.reference import school_days
from ingestion.contract import MANIFEST_FILE
from ingestion.manifest import read_manifest, sha256_of
from ingestion.synthetic.export import CSV_OPTIONS

# Daily rates, per record concerned (per mille, drawn from a hash)
ABSENT_PER_MILLE = 45  # pupils absent or late on a school day
DROPOUT_PER_MILLE = 0.5  # pupils dropping out or moving abroad on a day (0.05 %)
STUDENT_CORRECTION_PER_MILLE = 1  # learners' records amended on a day
ABSENCE_CORRECTION_PER_MILLE = 50  # recent unexcused absences re-typed as excused
MARK_CORRECTION_PER_MILLE = 20  # failing quarter marks raised after a retake


@dataclass(frozen=True)
class DeltaSummary:
    path: Path
    snapshot_date: dt.date
    rows: dict[str, int]
    seconds: float


def generate_delta(
    base: Path, days: int, out: Path, seed: int = 1, force: bool = False
) -> DeltaSummary:
    """Write the ``days`` days after ``base``'s snapshot as a delta export into ``out``."""
    started = time.perf_counter()
    manifest = read_manifest(base)
    if manifest.is_delta:
        raise ValueError(f"{base}: a delta export; give the full export it follows")
    if days < 1:
        raise ValueError("--days must be at least 1")
    _prepare_out(out, force)
    first, last = (manifest.snapshot_date + dt.timedelta(days=n) for n in (1, days))
    teaching = [
        day.astype(object)
        for day in school_days(manifest.academic_year)
        if first <= day.astype(object) <= last
    ]
    rows: dict[str, int] = {}
    # The base registers are read whole: within 2 GB, spilling beyond (a national base is 3 GB)
    with (
        tempfile.TemporaryDirectory(prefix="delta-spill-") as spill,
        duckdb.connect(config={"memory_limit": "2GB", "temp_directory": spill}) as con,
    ):
        con.execute("set TimeZone = 'UTC'")
        _read_base(con, base)
        con.register("teaching_frame", pd.DataFrame({"day": pd.to_datetime(teaching)}))
        con.execute(
            "create temp table teaching_days as select cast(day as date) as day from teaching_frame"
        )
        params = {
            "seed": str(seed),
            "last": last,
            "year": manifest.academic_year,
        }
        for name, sql in _delta_queries().items():
            path = out / name
            used = {key: value for key, value in params.items() if f"${key}" in sql}
            con.execute(f"copy ({sql}) to '{path}' ({CSV_OPTIONS})", used)
            count = _data_rows(path)
            if count:
                rows[name] = count
            else:
                path.unlink()
    snapshot = last
    _write_manifest(out, manifest, rows, snapshot, seed, days)
    return DeltaSummary(out, snapshot, rows, time.perf_counter() - started)


def _prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} is not empty (use --force to replace it)")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def _read_base(con: duckdb.DuckDBPyConnection, base: Path) -> None:
    """The base export's files as text tables (empty cell = NULL)."""
    for name in ("students", "enrolments", "classes", "attendance_marks", "absences", "grades"):
        con.execute(
            f"create temp table base_{name} as select * from read_csv('{base / name}.csv', "
            "all_varchar = true, header = true)"
        )


def _draw(per_mille: float, *parts: str) -> str:
    """SQL: true for about ``per_mille`` in a thousand rows, decided by a hash of ``parts``."""
    key = " || '|' || ".join([*parts, "$seed"])
    return f"(hash({key}) % 10000) < {round(per_mille * 10)}"


def _delta_queries() -> dict[str, str]:
    current_pupils = """
        select student_id, org_id, class_id, level, grade
        from (
            select *, row_number() over (
                partition by student_id order by event_date desc, event_id desc
            ) as recency
            from base_enrolments
        )
        where recency = 1 and academic_year = $year and class_id is not null
          and event_type not in ('transfer_out', 'graduation', 'dropout')
          and level in ('primary', 'basic', 'secondary')
    """
    leavers = f"""
        select pupils.*, teaching_days.day,
               hash(pupils.student_id || $seed) % 2 = 0 as is_dropout
        from ({current_pupils}) as pupils
        cross join teaching_days
        where {_draw(DROPOUT_PER_MILLE, "pupils.student_id", "cast(teaching_days.day as varchar)")}
    """
    first_leaving = f"""
        select * from (
            select *, row_number() over (partition by student_id order by day) as nth
            from ({leavers})
        ) where nth = 1
    """
    next_event = "(select max(cast(substr(event_id, 4) as bigint)) from base_enrolments)"
    return {
        "attendance_marks.csv": """
            select classes.class_id, teaching_days.day as date,
                   teaching_days.day + interval 7 hour
                   + to_seconds(cast(hash(classes.class_id || $seed) % 3600 as bigint))
                   as marked_at
            from (select distinct class_id from base_attendance_marks) as classes
            cross join teaching_days
            order by classes.class_id, teaching_days.day
        """,
        "absences.csv": f"""
            select pupils.student_id, pupils.class_id, teaching_days.day as date,
                   case when hash(pupils.student_id || cast(teaching_days.day as varchar))
                             % 3 = 0 then 'excused'
                        when hash(pupils.student_id || cast(teaching_days.day as varchar))
                             % 3 = 1 then 'unexcused' else 'late' end as absence_type,
                   teaching_days.day + interval 9 hour as recorded_at
            from ({current_pupils}) as pupils
            cross join teaching_days
            where {_draw(ABSENT_PER_MILLE, "pupils.student_id", "cast(teaching_days.day as text)")}
              and not exists (
                  select 1 from ({first_leaving}) as gone
                  where gone.student_id = pupils.student_id and gone.day < teaching_days.day
              )
            union all
            select student_id, class_id, cast(date as date), 'excused',
                   $last + interval 10 hour
            from base_absences
            where absence_type = 'unexcused'
              and cast(date as date) > $last - interval 15 day  -- a note comes within two weeks
              and {_draw(ABSENCE_CORRECTION_PER_MILLE, "student_id", "date")}
            order by student_id, date
        """,
        "enrolments.csv": f"""
            select 'EVT' || lpad(cast({next_event} + row_number() over (
                       order by day, student_id) as varchar), 9, '0') as event_id,
                   student_id, org_id,
                   case when is_dropout then 'dropout' else 'transfer_out' end as event_type,
                   day as event_date, $year as academic_year, level, grade, class_id,
                   'full_time' as study_form,
                   case when is_dropout then 'family' else 'moved_abroad' end as reason,
                   day + interval 11 hour as recorded_at
            from ({first_leaving})
            order by event_id
        """,
        "students.csv": f"""
            select * replace (
                coalesce(nationality, 'kyrgyz') as nationality,
                case when benefit is null or benefit = 'none' then 'low_income'
                     else benefit end as benefit,
                strftime($last + interval 12 hour, '%Y-%m-%dT%H:%M:%SZ') as updated_at
            )
            from base_students
            where {_draw(STUDENT_CORRECTION_PER_MILLE, "student_id", "cast($last as varchar)")}
            order by student_id
        """,
        "grades.csv": f"""
            select * replace ('3' as mark,
                              strftime($last + interval 13 hour, '%Y-%m-%dT%H:%M:%SZ')
                              as recorded_at)
            from base_grades
            where mark = '2' and academic_year = $year
              and {_draw(MARK_CORRECTION_PER_MILLE, "student_id", "subject", "term")}
            order by student_id, class_id, subject, term
        """,
    }


def _data_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def _write_manifest(out, base_manifest, rows, snapshot: dt.date, seed: int, days: int) -> None:
    manifest = {
        "source": f"emis-stats synthetic register generator {__version__} "
        f"(delta of {days} day(s) after {base_manifest.snapshot_date}, seed {seed})",
        "kind": "delta",
        "exported_at": f"{snapshot.isoformat()}T23:00:00Z",
        "snapshot_date": snapshot.isoformat(),
        "academic_year": base_manifest.academic_year,
        "files": {
            name: {"rows": rows[name], "sha256": sha256_of(out / name)} for name in sorted(rows)
        },
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
