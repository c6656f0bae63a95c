"""Generate one complete synthetic register export: twelve files, manifest, ground truth.

The export is written to a temporary folder beside ``out`` and renamed into place at the end,
so a folder named like an export is always a complete one.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from tqdm import tqdm

from emis import __version__
from emis.reference import school_calendar, school_days
from ingestion.contract import MANIFEST_FILE, SCHOOL_LEVELS, TABLES_BY_NAME, Table
from ingestion.manifest import sha256_of
from ingestion.synthetic import activity
from ingestion.synthetic.defects import plant_defects
from ingestion.synthetic.infrastructure import make_infrastructure
from ingestion.synthetic.learners import Calendar, make_learners
from ingestion.synthetic.organizations import make_organizations
from ingestion.synthetic.persons import draw_nationality, make_persons
from ingestion.synthetic.population import make_population
from ingestion.synthetic.scales import NATIONAL, district_weights, resolve_scale
from ingestion.synthetic.staff import homeroom_teachers, make_staff

DEFECTS_FILE = "defects.csv"  # beside the export's files, not listed in the manifest
ID_FORMATS = {  # entity -> (prefix, digits): EMIS-style opaque record ids
    "org": ("ORG", 6),
    "student": ("STU", 8),
    "staff": ("STF", 7),
    "event": ("EVT", 9),
    "class": ("CLS", 7),
    "assignment": ("ASG", 7),
}
ID_SOURCES = {  # contract column -> (internal number column, entity)
    "org_id": ("org_no", "org"),
    "student_id": ("student_no", "student"),
    "staff_id": ("staff_no", "staff"),
    "homeroom_staff_id": ("homeroom_staff_no", "staff"),
    "event_id": ("event_no", "event"),
    "class_id": ("class_no", "class"),
    "assignment_id": ("assignment_no", "assignment"),
}
# Marks and absences are sorted and written by DuckDB; cap its memory so a national export
# stays within 4 GB, spilling to disk beside the export if it needs more.
DUCKDB_CONFIG = {"memory_limit": "1500MB", "preserve_insertion_order": True}
CSV_OPTIONS = "header, delimiter ',', dateformat '%Y-%m-%d', timestampformat '%Y-%m-%dT%H:%M:%SZ'"


def format_ids(entity: str, numbers: np.ndarray) -> np.ndarray:
    prefix, digits = ID_FORMATS[entity]
    return np.array([f"{prefix}{int(n):0{digits}d}" for n in numbers], dtype=object)


def snapshot_date(year: int) -> dt.date:
    """Exports are taken mid-year, after the second term: 15 January of the year's second half."""
    return dt.date(year + 1, 1, 15)


@dataclass
class Registers:
    """Every register of one export, with internal integer numbers instead of record ids."""

    current_year: str
    orgs: pd.DataFrame
    students: pd.DataFrame
    events: pd.DataFrame
    classes: pd.DataFrame
    members: pd.DataFrame
    staff: pd.DataFrame
    assignments: pd.DataFrame
    infrastructure: pd.DataFrame
    population: pd.DataFrame
    unmarked: pd.DataFrame = field(default_factory=pd.DataFrame)

    def drop_written(self) -> None:
        """Free the frames already on disk: marks and attendance need only classes and members."""
        empty = pd.DataFrame()
        self.orgs = self.students = self.events = self.staff = self.assignments = empty
        self.infrastructure = self.population = empty


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    rows: dict[str, int]
    bytes: int
    defects: int
    seconds: float


def generate_export(
    scale_name: str, seed: int, year: int, out: Path, *, force: bool = False, progress=True
) -> ExportSummary:
    """Write a synthetic export for academic year ``year``-``year+1`` into ``out``."""
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise FileExistsError(f"{out} exists and is not empty (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    steps = tqdm(total=7, desc="generate", unit="step", disable=not progress, leave=False)
    try:
        rng = np.random.default_rng(seed)
        cal = Calendar(year, snapshot_date(year))
        steps.set_postfix_str("registers")
        reg = build_registers(rng, scale_name, cal, steps)
        truth = plant_defects(rng, reg, cal.snapshot, format_ids)
        steps.update()
        steps.set_postfix_str("writing registers")
        with duckdb.connect(config=DUCKDB_CONFIG | {"temp_directory": str(work / ".spill")}) as con:
            rows = write_registers(con, reg, work)
            reg.drop_written()  # the big frames are on disk now: free them for DuckDB
            steps.update()
            steps.set_postfix_str("marks and attendance")
            rows |= write_activity(con, reg, work, seed, cal)
        shutil.rmtree(work / ".spill", ignore_errors=True)
        steps.update()
        truth.to_csv(work / DEFECTS_FILE, index=False)
        write_manifest(work, rows, cal, scale_name, seed)
        steps.update()
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        steps.close()
    size = sum(path.stat().st_size for path in out.iterdir())
    return ExportSummary(out, rows, size, len(truth), time.perf_counter() - started)


def build_registers(rng, scale_name: str, cal: Calendar, steps) -> Registers:
    weights = district_weights(rng)
    scale = resolve_scale(scale_name, weights)
    orgs = make_organizations(rng, scale, weights, cal.snapshot)
    steps.update()
    learners = make_learners(rng, orgs, cal)
    staff, assignments = make_staff(rng, orgs, cal.snapshot)
    students, staff = _with_person_data(rng, (learners.students, staff), cal.snapshot)
    steps.update()
    classes = learners.classes
    classes["homeroom_staff_no"] = homeroom_teachers(rng, classes, assignments, cal.current)
    enrolled = _enrolled_by_age(learners, orgs, students, cal)
    # The population the scale's schools serve (`tiny` has a few schools, not whole districts).
    national_share = scale.sizes.pupils / NATIONAL.pupils
    population = make_population(
        rng, weights[list(scale.district_codes)], national_share, enrolled, (cal.year, cal.year + 1)
    )
    return Registers(
        current_year=cal.current,
        orgs=orgs,
        students=students,
        events=learners.events,
        classes=classes,
        members=learners.members,
        staff=staff,
        assignments=assignments,
        infrastructure=make_infrastructure(rng, orgs, cal.year),
        population=population,
    )


def _with_person_data(rng, registers: tuple[pd.DataFrame, ...], snapshot: dt.date):
    """Names, PINs and documents for the people of every person register, in one draw.

    One draw for all registers keeps PINs and document numbers unique across them.
    """
    people = pd.concat(registers, ignore_index=True)
    if "citizenship" in people:
        people["citizenship"] = people["citizenship"].fillna("KGZ")
    else:
        people["citizenship"] = "KGZ"
    people["nationality"] = draw_nationality(rng, people["oblast_code"].to_numpy())
    persons = make_persons(
        rng,
        people["sex"].to_numpy(),
        people["birth_date"].to_numpy().astype("datetime64[D]"),
        people["nationality"].to_numpy(),
        people["citizenship"].to_numpy(),
        snapshot,
    )
    people = pd.concat([people, persons], axis=1)
    bounds = np.cumsum([0, *(len(register) for register in registers)])
    return tuple(
        people.iloc[start:end][[*register.columns, "nationality", "citizenship", *persons.columns]]
        .loc[:, lambda f: ~f.columns.duplicated()]
        .reset_index(drop=True)
        for register, start, end in zip(registers, bounds[:-1], bounds[1:], strict=True)
    )


def _enrolled_by_age(learners, orgs, students, cal: Calendar) -> pd.DataFrame:
    """Children in kindergartens and schools by year x district x sex x age on 1 January.

    A floor for the population: children go to school where they live (students of colleges
    and universities do not, so they set no floor).
    """
    local = learners.classes[learners.classes["level"].isin(["preschool", *SCHOOL_LEVELS])]
    current = learners.members.merge(local[["class_no", "org_no"]], on="class_no")
    current = current.merge(orgs[["org_no", "district_code"]], on="org_no")
    current = current.merge(students[["student_no", "sex", "birth_date"]], on="student_no")
    frames = []
    for year in (cal.year, cal.year + 1):
        born = current["birth_date"].to_numpy().astype("datetime64[D]")
        age = (np.datetime64(f"{year}-01-01") - born).astype("int64") // 365.25
        frame = current.assign(year=year, age=age.astype("int64"))
        frames.append(frame.groupby(["year", "district_code", "sex", "age"]).size())
    return pd.concat(frames).rename("learners").reset_index()


def write_registers(con, reg: Registers, out: Path) -> dict[str, int]:
    frames = {
        "organizations": reg.orgs,
        "students": reg.students,
        "enrolments": reg.events,
        "classes": reg.classes,
        "staff": reg.staff,
        "staff_assignments": reg.assignments,
        "infrastructure": reg.infrastructure,
        "population": reg.population,
    }
    rows = {}
    for name, frame in frames.items():
        rows[f"{name}.csv"] = write_table(con, TABLES_BY_NAME[name], frame, out / f"{name}.csv")
    return rows


def write_table(con, table: Table, frame: pd.DataFrame, path: Path) -> int:
    """Write ``frame`` as the contract's CSV for ``table`` (columns in contract order)."""
    con.register("frame", _normalized(frame, table))
    select = ", ".join(_column_sql(table, column.name, frame) for column in table.columns)
    con.execute(f"copy (select {select} from frame) to '{path}' ({CSV_OPTIONS})")
    con.unregister("frame")
    return len(frame)


def _normalized(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Nullable integer and boolean dtypes where pandas holds floats or objects."""
    frame = frame.copy(deep=False)
    for column in table.columns:
        name = ID_SOURCES.get(column.name, (column.name,))[0]
        if name not in frame or _holds_text(frame[name]):
            continue
        if column.type == "int" or name.endswith("_no"):
            frame[name] = pd.to_numeric(frame[name]).round().astype("Int64")
        elif column.type == "bool":
            frame[name] = frame[name].astype("boolean")
    return frame


def _holds_text(series: pd.Series) -> bool:
    return (series.dtype == object or pd.api.types.is_string_dtype(series)) and any(
        isinstance(value, str) for value in series.dropna().head(1000)
    )


def _column_sql(table: Table, name: str, frame: pd.DataFrame) -> str:
    column = table.column(name)
    if name in ID_SOURCES:
        source, entity = ID_SOURCES[name]
        prefix, digits = ID_FORMATS[entity]
        return f'printf(\'{prefix}%0{digits}d\', "{source}") as "{name}"'
    if name not in frame:
        return f'null as "{name}"'
    if column.type == "date" and pd.api.types.is_datetime64_any_dtype(frame[name]):
        return f'cast("{name}" as date) as "{name}"'
    if column.type == "timestamp" and pd.api.types.is_datetime64_any_dtype(frame[name]):
        return f'cast("{name}" as timestamp) as "{name}"'
    return f'"{name}"'


def write_activity(con, reg: Registers, out: Path, seed: int, cal: Calendar) -> dict[str, int]:
    """Marks, attendance marks and absences of the current year, streamed by DuckDB."""
    classes = reg.classes[
        reg.classes["academic_year"].eq(cal.current)
        & reg.classes["level"].isin(["primary", "basic", "secondary"])
    ][["class_no", "org_no", "academic_year", "level", "grade", "language"]]
    con.register("school_classes_frame", classes)
    con.execute("create temp table school_classes as select * from school_classes_frame")
    con.register("members_frame", reg.members.astype({"enrolled_from": "datetime64[s]"}))
    con.execute(
        "create temp table members as select student_no, class_no, "
        "cast(enrolled_from as date) as enrolled_from from members_frame"
    )
    days = pd.DataFrame({"day": school_days(cal.current, until=cal.snapshot)})
    con.register("days_frame", days)
    con.execute("create temp table school_days as select cast(day as date) as day from days_frame")
    con.register("unmarked_frame", reg.unmarked)
    con.execute(
        "create temp table unmarked as select class_no, cast(day as date) as day "
        "from unmarked_frame"
    )
    terms = school_calendar()
    con.register("terms_frame", terms)
    con.execute(
        "create temp table terms as select academic_year, term, cast(end_date as date) "
        "as end_date from terms_frame"
    )

    def copy(sql: str, params: dict, path: Path) -> None:
        con.execute(f"copy ({sql}) to '{path}' ({CSV_OPTIONS})", params)

    paths = activity.write_activity(con, out, seed, cal.snapshot, copy)
    return {name: _count_rows(path) for name, path in paths.items()}


def _count_rows(path: Path) -> int:
    """Data rows of a CSV we wrote (no embedded newlines in these files): lines minus header."""
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b"")) - 1


def write_manifest(out: Path, rows: dict[str, int], cal: Calendar, scale: str, seed: int) -> None:
    manifest = {
        "source": f"emis-stats synthetic register generator {__version__} "
        f"(scale {scale}, seed {seed})",
        "exported_at": f"{cal.snapshot.isoformat()}T12:00:00Z",
        "snapshot_date": cal.snapshot.isoformat(),
        "academic_year": cal.current,
        "files": {
            name: {"rows": rows[name], "sha256": sha256_of(out / name)} for name in sorted(rows)
        },
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
