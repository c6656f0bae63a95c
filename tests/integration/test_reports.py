"""State report forms (`emis report`) from the tiny export.

Every form is filled on DuckDB and its cells are checked against counts made here, straight
from the export's files, with pandas; every control ratio passes at every scope; ОШ-1's totals
equal marts_open.observations; PostgreSQL fills identical cells. Two exports a month apart
show that a reporting date takes the register versions in force on it, and that a planted
inconsistency (a class recorded in a grade its school does not teach) fails a named ratio,
in the workbook's check sheet and, with --strict, in the exit code.
"""

from __future__ import annotations

import datetime as dt
import uuid

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import psycopg
import pytest
import yaml

from emis.cli import main as cli_main
from emis.reference import SEEDS_DIR
from emis.settings import load_settings
from ingestion.load import ingest
from reports.declaration import FORMS_DIR, form_ids, parse_form
from reports.extract import (
    FORM_INPUTS,
    copy_table_from_postgres,
    form_settings,
    write_form_inputs,
)
from reports.pdf import find_office, to_pdf
from reports.report import build_report
from tests.integration.conftest import age_on, changed_export, edit_csv, edit_manifest
from tests.postgres import create_database, drop_database
from warehouse.dbt_runner import run_dbt

CENSUS = dt.date(2025, 9, 15)
JANUARY_FIRST = dt.date(2026, 1, 1)
YEAR_END = dt.date(2025, 12, 31)
YEAR = "2025-2026"
SCHOOL_LEVELS = ("primary", "basic", "secondary")
# What reports need of the warehouse: classifiers, the latest load, the register histories.
REPORT_NODES = ("resource_type:seed", "path:models/staging", "path:models/snapshots")


# --- warehouses --------------------------------------------------------------------------------


def built(export_paths, home, warehouse: str | None = None, select=()) -> object:
    environ = {"EMIS_HOME": str(home)} | ({"EMIS_WAREHOUSE": warehouse} if warehouse else {})
    settings = load_settings(environ)
    for path in export_paths:
        ingest(path, settings)
    # Cautious: leave out the tests of models not built (observations tests name a seed).
    extra = ("--select", *select, "--indirect-selection", "cautious") if select else ()
    result = run_dbt(settings, "build", *extra)
    assert result.success, result.error
    return settings


@pytest.fixture(scope="session")
def duckdb_settings(tiny_export, tmp_path_factory):
    """The tiny export, fully built (observations too, for the consistency test)."""
    return built([tiny_export.path], tmp_path_factory.mktemp("reports-duckdb"))


@pytest.fixture(scope="session")
def postgres_settings(tiny_export, tmp_path_factory, pg_server):
    name = f"emis_reports_{uuid.uuid4().hex[:8]}"
    dsn = create_database(pg_server, name)
    try:
        yield built(
            [tiny_export.path], tmp_path_factory.mktemp("reports-pg"), dsn, select=REPORT_NODES
        )
    finally:
        drop_database(pg_server, name)


@pytest.fixture(scope="session")
def reports(duckdb_settings):
    """Each form for the republic on its default reporting date, on DuckDB."""
    return {form_id: build_report(duckdb_settings, form_id) for form_id in form_ids()}


# --- independent counts from the export's files ------------------------------------------------


def seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv")


def last_events(export, day: dt.date) -> pd.DataFrame:
    """Each learner's last loaded event on or before ``day`` (same-day order of the seed)."""
    order = seed("event_types")
    values = ", ".join(
        f"('{row.event_type}', '{row.effect}', {row.order_in_day})" for row in order.itertuples()
    )
    frame = export.sql(f"""
        select events.*, kinds.effect
        from loaded_enrolments as events
        join (values {values}) as kinds(event_type, effect, order_in_day) using (event_type)
        where cast(events.event_date as date) <= date '{day}'
        qualify row_number() over (
            partition by events.student_id
            order by cast(events.event_date as date) desc, kinds.order_in_day desc,
                     events.event_id desc
        ) = 1
    """)
    frame["grade"] = pd.to_numeric(frame["grade"])
    return frame


def organizations(export, day: dt.date) -> pd.DataFrame:
    orgs = export.sql("select * from loaded_organizations")
    orgs = orgs.merge(
        seed("organization_types")[["organization_type", "sector"]],
        left_on="org_type",
        right_on="organization_type",
    )
    opened = pd.to_datetime(orgs["opened_date"]).dt.date
    closed = pd.to_datetime(orgs["closed_date"]).dt.date
    orgs["operating"] = (opened.isna() | (opened <= day)) & (
        (orgs["status"] == "active") | (closed > day)
    )
    return orgs


def people(export) -> pd.DataFrame:
    students = export.sql(
        "select student_id, sex, birth_date, disability, citizenship from loaded_students"
    )
    students["birth_date"] = pd.to_datetime(students["birth_date"]).dt.date
    return students


def classes(export) -> pd.DataFrame:
    frame = export.sql(
        "select class_id, grade as class_grade, language, shift, class_type from loaded_classes"
    )
    frame["class_grade"] = pd.to_numeric(frame["class_grade"])
    frame["shift"] = pd.to_numeric(frame["shift"])
    return frame


def enrolled(export, day: dt.date, sector: str) -> pd.DataFrame:
    """Learners enrolled on ``day`` at operating organizations of ``sector``, with their
    person, class and organization attributes and their age on ``day``."""
    events = last_events(export, day)
    start = day.year if day.month >= 9 else day.year - 1
    events = events[
        events["effect"].isin(["enter", "continue", "resume"])
        & (events["academic_year"] == f"{start}-{start + 1}")
    ]
    orgs = organizations(export, day)
    orgs = orgs[(orgs["sector"] == sector) & orgs["operating"]]
    frame = events.merge(orgs[["org_id", "locality", "ownership"]], on="org_id")
    frame = frame.merge(people(export), on="student_id").merge(
        classes(export), on="class_id", how="left"
    )
    frame["age"] = age_on(frame["birth_date"], day)
    return frame


def active_assignments(export, day: dt.date, sector: str) -> pd.DataFrame:
    posts = export.sql("select * from loaded_staff_assignments")
    start = pd.to_datetime(posts["start_date"]).dt.date
    end = pd.to_datetime(posts["end_date"]).dt.date
    posts = posts[(start <= day) & (end.isna() | (end > day))]
    orgs = organizations(export, day)
    orgs = orgs[(orgs["sector"] == sector) & orgs["operating"]]
    posts = posts.merge(orgs[["org_id", "locality"]], on="org_id")
    posts = posts.merge(seed("staff_positions")[["position", "is_teacher"]], on="position")
    posts = posts.drop(columns=["staff_category"]).merge(
        seed("staff_positions")[["position", "staff_category"]], on="position"
    )
    posts["rate"] = posts["rate"].astype(float)
    posts["is_primary"] = posts["is_primary_job"] == "true"
    staff = export.sql("select * from loaded_staff")
    staff["birth_date"] = pd.to_datetime(staff["birth_date"]).dt.date
    staff["experience"] = pd.to_numeric(staff["teaching_experience_years"])
    columns = ["staff_id", "sex", "birth_date", "education_level", "qualification_category",
               "has_pedagogical_training", "experience"]  # fmt: skip
    return posts.merge(staff[columns], on="staff_id")


def placed_posts(export, day: dt.date) -> set[str]:
    """Each teacher's one counted teaching post on ``day``, among operating organizations of
    any sector: the primary one, else the largest rate, then the earliest start, then the id."""
    posts = export.sql("select * from loaded_staff_assignments")
    start = pd.to_datetime(posts["start_date"]).dt.date
    end = pd.to_datetime(posts["end_date"]).dt.date
    posts = posts[(start <= day) & (end.isna() | (end > day))]
    operating = organizations(export, day)
    posts = posts[posts["org_id"].isin(operating.loc[operating["operating"], "org_id"])]
    teaching = seed("staff_positions").query("is_teacher")["position"]
    posts = posts[posts["position"].isin(teaching)].assign(
        not_primary=posts["is_primary_job"] != "true", rate=posts["rate"].astype(float)
    )
    posts = posts.sort_values(
        ["staff_id", "not_primary", "rate", "start_date", "assignment_id"],
        ascending=[True, True, False, True, True],
    )
    return set(posts.groupby("staff_id").head(1)["assignment_id"])


def assert_cells(report, expected: dict) -> None:
    found = {key: report.values[key] for key in expected}
    wrong = {key: (found[key], value) for key, value in expected.items() if found[key] != value}
    assert not wrong, f"{len(wrong)} of {len(expected)} cells differ (found, expected): {wrong}"


def count(frame: pd.DataFrame) -> int:
    return len(frame)


# --- every form, every ratio --------------------------------------------------------------------


@pytest.mark.parametrize("form_id", ["osh-1", "85-k", "1-proftech", "2-nk", "3-nk", "77", "uis"])
def test_every_form_fills_and_passes_its_ratios(reports, form_id):
    report = reports[form_id]
    assert report.checks and not report.failures, [c.describe() for c in report.failures[:5]]
    assert report.organizations > 0
    assert report.values["1", report.form.sections[0].rows[0].code, "1"] > 0


@pytest.mark.parametrize("scope", ["41707215", "41707400", "41707"])
@pytest.mark.parametrize("form_id", ["osh-1", "85-k", "77"])
def test_ratios_pass_for_districts_and_the_oblast(duckdb_settings, form_id, scope):
    report = build_report(duckdb_settings, form_id, territory=scope)
    assert not report.failures, [c.describe() for c in report.failures[:5]]


def test_districts_add_up_to_the_oblast(duckdb_settings):
    parts = [build_report(duckdb_settings, "osh-1", territory=code) for code in
             ("41707215", "41707400")]  # fmt: skip
    whole = build_report(duckdb_settings, "osh-1", territory="41707")
    for key, value in whole.values.items():
        assert value == pytest.approx(parts[0].values[key] + parts[1].values[key]), key


# --- ОШ-1 against independent counts ------------------------------------------------------------


@pytest.fixture(scope="module")
def pupils(tiny_export) -> pd.DataFrame:
    frame = enrolled(tiny_export, CENSUS, "school")
    frame = frame[frame["level"].isin(SCHOOL_LEVELS)].copy()
    repeated = tiny_export.ids(
        "select student_id from loaded_enrolments where event_type = 'repetition' "
        f"and academic_year = '{YEAR}' and cast(event_date as date) <= date '{CENSUS}'"
    )
    frame["repeater"] = frame["student_id"].isin(repeated)
    frame["disabled"] = frame["disability"] != "none"
    frame["girl"] = frame["sex"] == "F"
    frame["born"] = [day.year for day in frame["birth_date"]]
    return frame


def test_osh1_pupils_and_classes_by_grade(reports, pupils):
    in_classes = pupils.dropna(subset=["class_id"]).drop_duplicates("class_id")
    expected = {}
    groups = {f"{g:02d}": [g] for g in range(1, 12)} | {
        "12": list(range(1, 12)), "13": [1, 2, 3, 4], "14": [5, 6, 7, 8, 9], "15": [10, 11],
    }  # fmt: skip
    for row, grades in groups.items():
        of = pupils[pupils["grade"].isin(grades)]
        cells = [
            count(in_classes[in_classes["class_grade"].isin(grades)]),
            count(of),
            count(of[of["girl"]]),
            count(of[of["repeater"]]),
            count(of[of["repeater"] & of["girl"]]),
            count(of[of["disabled"]]),
            count(of[of["disabled"] & of["girl"]]),
        ]
        expected |= {("2", row, str(col)): value for col, value in enumerate(cells, start=1)}
    assert_cells(reports["osh-1"], expected)
    assert expected["2", "12", "4"] > 0 and expected["2", "12", "6"] > 0  # the test bites


def test_osh1_pupils_by_language_shift_and_year_of_birth(reports, pupils):
    in_classes = pupils.dropna(subset=["class_id"]).drop_duplicates("class_id")
    expected = {}
    for section, column, rows in (
        ("3", "language", {"01": "ky", "02": "ru", "03": "uz", "04": "tg", "05": "en",
                           "06": "other", "07": None}),
        ("4", "shift", {"01": 1, "02": 2, "03": 3, "04": None}),
    ):  # fmt: skip
        for row, code in rows.items():
            of = pupils[pupils[column].isna()] if code is None else pupils[pupils[column] == code]
            classes_of = in_classes[in_classes[column] == code] if code else in_classes.iloc[:0]
            cells = [
                count(classes_of),
                count(of),
                count(of[of["grade"].between(1, 4)]),
                count(of[of["grade"].between(5, 9)]),
                count(of[of["grade"].between(10, 11)]),
                count(of[of["girl"]]),
            ]
            expected |= {(section, row, str(c)): v for c, v in enumerate(cells, start=1)}
    age = 2025 - pupils["born"]
    bands = {"01": age >= 19, "15": age <= 5} | {
        f"{row:02d}": age == 20 - row for row in range(2, 15)
    }
    for row, mask in bands.items():
        of = pupils[mask]
        expected[("5", row, "1")] = count(of)
        expected[("5", row, "13")] = count(of[of["girl"]])
        for grade in range(1, 12):
            expected[("5", row, str(grade + 1))] = count(of[of["grade"] == grade])
    assert_cells(reports["osh-1"], expected)
    assert reports["osh-1"].values["5", "15", "1"] >= 1  # the planted age-grade mismatch


def test_osh1_schools_teachers_and_buildings(reports, tiny_export):
    orgs = organizations(tiny_export, CENSUS)
    schools = orgs[(orgs["sector"] == "school") & orgs["operating"]]
    expected = {}
    masks = {
        "01": schools["org_id"].notna(),
        "02": schools["ownership"] == "state",
        "03": schools["ownership"] == "municipal",
        "04": schools["ownership"] == "private",
        "05": schools["languages"] == "ky",
        "06": schools["languages"] == "ru",
        "11": schools["languages"].str.contains(";"),
    }
    for row, mask in masks.items():
        of = schools[mask]
        expected[("1", row, "1")] = count(of)
        expected[("1", row, "2")] = count(of[of["locality"] == "urban"])
        expected[("1", row, "3")] = count(of[of["locality"] == "rural"])

    posts = active_assignments(tiny_export, CENSUS, "school")
    teaching = posts[posts["is_teacher"]]
    teaching = teaching.assign(
        placed=teaching["assignment_id"].isin(placed_posts(tiny_export, CENSUS))
    )
    per_head = teaching.groupby(["staff_id", "org_id"], as_index=False).agg(
        head=("placed", "max"), fte=("rate", "sum"), sex=("sex", "first"),
        education=("education_level", "first"), category=("qualification_category", "first"),
        trained=("has_pedagogical_training", "first"), experience=("experience", "first"),
        birth_date=("birth_date", "first"),
    )  # fmt: skip
    everyone = pd.Series(True, index=per_head.index)
    rows = {"01": everyone} | {
        row: per_head["education"] == level
        for row, level in {"02": "higher", "03": "incomplete_higher",
                           "04": "secondary_vocational", "05": "general_secondary"}.items()
    } | {"09": per_head["category"].isin(["none"]) | per_head["category"].isna()}  # fmt: skip
    for row, mask in rows.items():
        of = per_head[mask & per_head["head"]]
        expected[("6", row, "1")] = count(of)
        expected[("6", row, "2")] = count(of[of["sex"] == "F"])
        expected[("6", row, "3")] = count(of[of["trained"] == "true"])
        expected[("6", row, "4")] = round(float(per_head.loc[mask, "fte"].sum()), 2)
    heads = per_head[per_head["head"]]
    ages = age_on(heads["birth_date"], CENSUS)
    expected[("7", "01", "3")] = int((ages < 25).sum())
    expected[("7", "01", "12")] = int((ages >= 65).sum())
    expected[("7", "02", "1")] = count(heads[heads["experience"] < 3])
    expected[("7", "06", "1")] = count(heads[heads["experience"] >= 20])

    surveys = tiny_export.sql("select * from loaded_infrastructure")
    surveys = surveys[pd.to_datetime(surveys["survey_date"]).dt.date <= CENSUS]
    surveys = surveys.sort_values("survey_date").groupby("org_id").tail(1)
    surveys = surveys.merge(schools[["org_id", "locality"]], on="org_id")
    expected[("8", "02", "1")] = count(surveys)
    expected[("8", "03", "1")] = int(pd.to_numeric(surveys["buildings"]).sum())
    expected[("8", "07", "1")] = count(surveys[surveys["has_electricity"] == "true"])
    expected[("8", "14", "3")] = count(
        surveys[(surveys["has_internet"] == "true") & (surveys["locality"] == "rural")]
    )
    assert_cells(reports["osh-1"], expected)
    assert expected["6", "01", "1"] > 50 and expected["8", "02", "1"] > 0


def test_one_school_files_its_own_osh1(duckdb_settings, pupils):
    school = pupils["org_id"].value_counts().index[0]
    report = build_report(duckdb_settings, "osh-1", organization=school)
    own = pupils[pupils["org_id"] == school]
    assert report.scope.kind == "organization" and report.organizations == 1
    assert report.values["2", "12", "2"] == len(own)
    assert report.values["1", "01", "1"] == 1 and not report.failures


# --- ОШ-1 and the open indicators ----------------------------------------------------------------


def observation(con, indicator: str, territory: str, **codes) -> float:
    dims = ["sex", "level", "grade", "locality", "ownership", "language", "org_type",
            "disability", "setting", "subject"]  # fmt: skip
    where = " and ".join(
        f"{dim} = '{codes[dim]}'" if dim in codes else f"{dim} in ('_T', '_Z')" for dim in dims
    )
    rows = con.execute(
        f"select numerator, denominator from marts_open.observations where indicator_id = "
        f"'{indicator}' and territory_code = '{territory}' and academic_year = '{YEAR}' "
        f"and reference_date = date '{CENSUS}' and {where}"
    ).fetchall()
    return rows[0] if rows else (0, 0)


@pytest.mark.parametrize("territory", ["KG", "41707", "41707215", "41707400"])
def test_osh1_totals_equal_the_observations(duckdb_settings, territory):
    import duckdb

    report = build_report(duckdb_settings, "osh-1", territory=territory, as_of=CENSUS)
    values = report.values
    general = seed("organization_types").query("is_general_school")["organization_type"]
    with duckdb.connect(str(duckdb_settings.warehouse_path), read_only=True) as con:
        for grade in range(1, 12):
            level = "primary" if grade <= 4 else "basic" if grade <= 9 else "secondary"
            for sex, col in (("_T", "2"), ("F", "3")):
                learners = observation(con, "learners", territory, level=level, grade=str(grade),
                                       sex=sex)[0]  # fmt: skip
                assert values["2", f"{grade:02d}", col] == learners, (grade, sex)
        pupils = sum(observation(con, "learners", territory, level=level)[0]
                     for level in SCHOOL_LEVELS)  # fmt: skip
        assert values["2", "12", "2"] == pupils > 0
        for row, language in (("01", "ky"), ("02", "ru"), ("07", "_U")):  # _U: no class
            learners = sum(
                observation(con, "learners", territory, level=level, language=language)[0]
                for level in SCHOOL_LEVELS
            )
            assert values["3", row, "2"] == learners, language
        classes = observation(con, "avg_class_size", territory)[1]
        assert values["2", "12", "1"] == classes
        teachers = sum(
            observation(con, "teachers", territory, org_type=kind)[0] for kind in general
        )
        assert values["6", "01", "1"] == teachers > 0
        schools = sum(
            observation(con, "organizations", territory, org_type=kind)[0] for kind in general
        )
        assert values["1", "01", "1"] == schools > 0


# --- 85-К ------------------------------------------------------------------------------------


def test_85k_groups_children_staff_and_places(reports, tiny_export):
    children = enrolled(tiny_export, JANUARY_FIRST, "preschool")
    children = children[children["level"] == "preschool"]
    groups = children.dropna(subset=["class_id"]).drop_duplicates("class_id")
    expected = {
        ("1", "01", "1"): count(groups),
        ("1", "01", "2"): count(groups[groups["class_grade"] <= 2]),
        ("1", "01", "3"): count(groups[groups["class_grade"] >= 3]),
        ("1", "01", "4"): count(children),
        ("1", "01", "5"): count(children[children["grade"] <= 2]),
        ("1", "05", "4"): count(children[children["class_id"].isna()]),
        ("2", "01", "2"): count(children[children["sex"] == "F"]),
        ("2", "01", "4"): count(children[children["disability"] != "none"]),
    }
    for row, age in {"02": 0, "03": 1, "04": 2, "05": 3, "06": 4, "07": 5, "08": 6}.items():
        expected[("2", row, "1")] = count(children[children["age"] == age])
    expected[("2", "09", "1")] = count(children[children["age"] >= 7])

    posts = active_assignments(tiny_export, JANUARY_FIRST, "preschool")
    rank = {"administrative": 1, "teaching": 2, "teaching_support": 3, "service": 4}
    posts["order"] = (~posts["is_primary"]).astype(int) * 10 + posts["staff_category"].map(rank)
    main = posts.sort_values(["order", "assignment_id"]).groupby(["org_id", "staff_id"]).head(1)
    has_primary = posts.groupby(["org_id", "staff_id"])["is_primary"].transform("max")
    main = main.assign(external=~has_primary.loc[main.index])
    own = main[~main["external"]]
    expected[("3", "01", "1")] = count(own)
    expected[("3", "01", "4")] = count(main[main["external"]])
    expected[("3", "03", "1")] = count(own[own["staff_category"] == "teaching"])
    expected[("3", "04", "1")] = count(own[own["position"] == "educator"])
    expected[("3", "01", "5")] = round(float(posts["rate"].sum()), 2)

    orgs = organizations(tiny_export, JANUARY_FIRST)
    kindergartens = orgs[(orgs["sector"] == "preschool") & orgs["operating"]]
    expected[("4", "01", "1")] = count(kindergartens)
    expected[("4", "02", "1")] = int(pd.to_numeric(kindergartens["design_capacity"]).sum())
    expected[("4", "03", "1")] = count(groups)
    assert_cells(reports["85-k"], expected)
    assert expected["1", "01", "4"] > 100 and expected["3", "01", "1"] > 10


# --- 1-профтех, 2-НК, 3-НК ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form_id", "sector", "levels", "courses"),
    [
        ("1-proftech", "vocational", ["vocational"], 3),
        ("2-nk", "college", ["college"], 4),
        ("3-nk", "higher", ["bachelor", "specialist", "master", "postgraduate"], 6),
    ],
)
def test_students_by_course_and_their_movement(reports, tiny_export, form_id, sector, levels,
                                               courses):  # fmt: skip
    students = enrolled(tiny_export, CENSUS, sector)
    students = students[students["level"].isin(levels)]
    expected = {
        ("1", "01", "1"): count(students),
        ("1", "01", "2"): count(students[students["sex"] == "F"]),
    }
    for course in range(1, courses + 1):
        of = students[students["grade"] == course]
        row = f"{course + 1:02d}"
        expected[("1", row, "1")] = count(of)
        expected[("1", row, "2")] = count(of[of["sex"] == "F"])
    forms = ("full_time", "evening", "correspondence", "distance")
    first = 7 if form_id == "3-nk" else 3
    for offset, study_form in enumerate(forms):
        expected[("1", "01", str(first + offset))] = count(
            students[students["study_form"] == study_form]
        )

    orgs = organizations(tiny_export, CENSUS)
    events = tiny_export.sql("select * from loaded_enrolments")
    day = pd.to_datetime(events["event_date"]).dt.date
    events = events[(day >= dt.date(2024, 9, 16)) & (day <= CENSUS)]
    events = events[events["org_id"].isin(orgs[(orgs["sector"] == sector) & orgs["operating"]]
                                           ["org_id"]) & events["level"].isin(levels)]  # fmt: skip
    events = events.merge(people(tiny_export), on="student_id")
    kinds = {"01": ["admission"], "04": ["graduation"], "05": ["dropout", "transfer_out"],
             "06": ["dropout"]}  # fmt: skip
    for row, types in kinds.items():
        of = events[events["event_type"].isin(types)]
        expected[("2", row, "1")] = count(of)
        expected[("2", row, "2")] = count(of[of["sex"] == "F"])
    expected[("2", "02", "1")] = count(
        events[(events["event_type"] == "admission") & (events["grade"] == "1")]
    )
    leaving = events[events["event_type"].isin(["dropout", "transfer_out"])]
    for row, reason in {"02": "health", "03": "family", "04": "work", "05": "expelled"}.items():
        expected[("3", row, "1")] = count(leaving[leaving["reason"] == reason])
    assert_cells(reports[form_id], expected)
    assert expected["1", "01", "1"] > 100 and expected["2", "04", "1"] > 0


# --- 77 ------------------------------------------------------------------------------------


def reason_of(row) -> str:
    """Why a child the registers know is not enrolled, from their last event."""
    if row.effect == "pause":
        return "academic_leave"
    if row.effect in ("enter", "continue", "resume"):
        return "not_reenrolled"
    if row.event_type == "graduation":
        return {"basic": "basic_completed", "preschool": "preschool_completed"}.get(
            row.level, "completed"
        )
    if row.reason == "moved_in_country":
        return "not_arrived"
    known = ("health", "family", "work", "expelled", "moved_abroad", "death")
    return row.reason if row.reason in known else "unknown"


def test_77_children_not_in_education_by_reason(reports, tiny_export):
    last = last_events(tiny_export, YEAR_END)
    out = last[last["effect"].isin(["leave", "pause"]) | (last["academic_year"] < YEAR)]
    out = out.merge(people(tiny_export), on="student_id")
    out["age"] = age_on(out["birth_date"], YEAR_END)
    out["why"] = [reason_of(row) for row in out.itertuples()]
    out = out[out["age"].between(7, 17) & (out["why"] != "completed")]
    orgs = organizations(tiny_export, YEAR_END)[["org_id", "locality"]]
    out = out.merge(orgs, on="org_id")
    counted = out[~out["why"].isin(["basic_completed", "moved_abroad", "death"])]
    expected = {
        ("1", "01", "1"): count(counted),
        ("1", "01", "2"): count(counted[counted["sex"] == "F"]),
        ("1", "01", "5"): count(counted[counted["age"] >= 15]),
        ("1", "01", "7"): count(counted[counted["locality"] == "rural"]),
        ("1", "09", "1"): count(out[out["why"] == "basic_completed"]),
        ("1", "10", "1"): count(out[out["why"] == "moved_abroad"]),
    }
    for row, why in {"02": "health", "03": "family", "04": "work", "05": "expelled"}.items():
        expected[("1", row, "1")] = count(out[out["why"] == why])

    events = last_events(tiny_export, YEAR_END)  # for who is enrolled at the year's end
    in_school = set(
        events[events["effect"].isin(["enter", "continue", "resume"])
               & (events["academic_year"] == YEAR)]["student_id"]
    )  # fmt: skip
    exits = tiny_export.sql(f"""
        select * from loaded_enrolments
        where event_type in ('dropout', 'transfer_out') and level in {SCHOOL_LEVELS}
          and cast(event_date as date) between date '2025-01-01' and date '{YEAR_END}'
        qualify row_number() over (partition by student_id
            order by cast(event_date as date) desc,
                     case event_type when 'dropout' then 2 else 1 end desc, event_id desc) = 1
    """).merge(people(tiny_export), on="student_id")
    exits = exits[age_on(exits["birth_date"], YEAR_END) >= 7]
    exits = exits[age_on(exits["birth_date"], YEAR_END) <= 17]
    back = exits["student_id"].isin(in_school)
    expected |= {
        ("2", "01", "1"): count(exits),
        ("2", "02", "1"): int(back.sum()),
        ("2", "03", "1"): int((~back).sum()),
        ("2", "04", "1"): int((~back & (exits["reason"] == "moved_abroad")).sum()),
    }
    assert_cells(reports["77"], expected)
    assert expected["1", "01", "1"] > 0 and expected["2", "01", "1"] > 0


# --- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("form_id", ["osh-1", "85-k", "1-proftech", "2-nk", "3-nk", "77", "uis"])
def test_postgresql_fills_identical_cells(reports, postgres_settings, form_id):
    on_postgres = build_report(postgres_settings, form_id)
    assert on_postgres.as_of == reports[form_id].as_of
    assert on_postgres.values == reports[form_id].values
    assert not on_postgres.failures


# --- a planted inconsistency ---------------------------------------------------------------


def test_an_altered_declaration_fails_the_ratios_that_name_it(duckdb_settings):
    data = yaml.safe_load((FORMS_DIR / "osh-1.yml").read_text(encoding="utf-8"))
    grades_1_to_4 = data["sections"][1]["rows"][12]
    assert grades_1_to_4["code"] == "13"
    grades_1_to_4["filter"] = {"grade": {"from": 1, "to": 3}}  # a typo in the declaration
    report = build_report(duckdb_settings, parse_form(data))
    failed = {(check.section, check.text) for check in report.failures}
    assert failed == {
        ("2", "стр. 12 = сумма стр. 13–15"),
        ("2", "стр. 13 = сумма стр. 01–04"),
        ("", "разд. 3 стр. 08 гр. 3 = разд. 2 стр. 13 гр. 2"),
    }


SECOND_SNAPSHOT = dt.date(2026, 2, 15)


@pytest.fixture(scope="module")
def two_exports(tiny_export, tmp_path_factory):
    """The tiny export, then a month later the same registers where one school changed
    ownership and one class of a basic (grade 1-9) school is recorded in grade 11."""
    orgs = tiny_export.sql("select org_id, org_type, ownership from organizations")
    school = orgs[orgs["org_type"] == "school"].iloc[0]
    basic_school = orgs[orgs["org_type"] == "incomplete"]["org_id"].iloc[0]
    moved_class = tiny_export.column(
        f"select class_id from classes where org_id = '{basic_school}' and grade = '5' "
        f"and academic_year = '{YEAR}' limit 1"
    )[0]

    def next_month(folder):
        def change_ownership(frame):
            frame.loc[frame["org_id"] == school["org_id"], "ownership"] = "private"

        def regrade(frame):
            frame.loc[frame["class_id"] == moved_class, ["level", "grade"]] = ["secondary", "11"]

        edit_csv(folder / "organizations.csv", change_ownership)
        edit_csv(folder / "classes.csv", regrade)
        edit_manifest(folder, lambda m: m.update(snapshot_date=str(SECOND_SNAPSHOT)))

    root = tmp_path_factory.mktemp("reports-history")
    later = changed_export(tiny_export, root / "later", next_month)
    settings = built([tiny_export.path, later], root / "home", select=REPORT_NODES)
    return settings, school, basic_school


def test_a_reporting_date_takes_the_versions_in_force_on_it(two_exports):
    settings, school, _ = two_exports
    assert school["ownership"] != "private"
    counts = {
        day: build_report(settings, "osh-1", as_of=day).values["1", "04", "1"]
        for day in (CENSUS, dt.date(2026, 2, 14), SECOND_SNAPSHOT)
    }
    assert counts == {CENSUS: 0, dt.date(2026, 2, 14): 0, SECOND_SNAPSHOT: 1}  # private schools


def _facts_reused_and_computed(run, day):
    """Every query's facts on ``day`` from the session's kept tables, and as each query
    computes its CTEs itself, sorted alike."""
    from reports.metrics import QUERIES, Parameters, Session, fetch_facts

    parameters = Parameters(day, YEAR, "KG", (), True, CENSUS)
    wanted = {name: set(query.dims) for name, query in QUERIES.items()}
    reused = fetch_facts(run, parameters, wanted)
    computed = fetch_facts(Session(run), parameters, wanted)  # keeps nothing
    for name, query in QUERIES.items():
        keys = ["organization_id", *query.dims]
        yield (
            name,
            reused[name].sort_values(keys, ignore_index=True),
            computed[name].sort_values(keys, ignore_index=True),
        )


def test_one_session_reuses_the_learners_last_events_per_date_with_the_same_facts(two_exports):
    """A session opened to reuse computes the date-only CTEs once per date into temporary
    tables; every query reads the same facts from them as from its own CTEs, on either of two
    dates whose events and versions differ."""
    from reports import metrics
    from reports.metrics import QUERIES

    settings, _, _ = two_exports
    with metrics.connect(settings, reuse=True) as run:
        for day in (CENSUS, SECOND_SNAPSHOT):
            for _, reused, computed in _facts_reused_and_computed(run, day):
                pd.testing.assert_frame_equal(reused, computed)
            assert set(run.reused(day)) == set(metrics.REUSABLE)
        assert "reused_" in metrics.compose(QUERIES["learners"], [], run.reused(CENSUS))
        assert run.reused(CENSUS) != run.reused(SECOND_SNAPSHOT)
    with metrics.connect(settings) as run:  # a report's session: one learners query, nothing kept
        assert run.reused(CENSUS) == {}


@pytest.mark.postgres
def test_a_postgres_session_keeps_its_tables_and_stays_read_only(postgres_settings):
    """On PostgreSQL the kept tables are made in a read-write transaction of their own: the
    facts read from them are the computed ones, and the session still cannot write the
    warehouse."""
    import psycopg

    from reports import metrics

    with metrics.connect(postgres_settings, reuse=True) as run:
        for _, reused, computed in _facts_reused_and_computed(run, CENSUS):
            pd.testing.assert_frame_equal(reused, computed)
        (table,) = run.reused(CENSUS).values()
        assert len(run(f"select * from {table}", {})) > 0
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            run("create table reference.written_by_a_report as select 1 as one", {})


def test_a_planted_inconsistency_fails_a_named_ratio(two_exports, tmp_path, monkeypatch, capsys):
    settings, _, basic_school = two_exports
    before = build_report(settings, "osh-1", organization=basic_school, as_of=dt.date(2026, 2, 1))
    assert not before.failures
    after = build_report(settings, "osh-1", organization=basic_school, as_of=SECOND_SNAPSHOT)
    failed = {(check.section, check.text, check.where) for check in after.failures}
    assert ("2", "гр. 1 ≤ гр. 2", "стр. 11") in failed  # a class of grade 11, no pupil in it

    monkeypatch.setenv("EMIS_HOME", str(settings.home))
    monkeypatch.delenv("EMIS_WAREHOUSE", raising=False)
    out = tmp_path / "osh-1.xlsx"
    argv = ["report", "osh-1", "--organization", basic_school, "--as-of", str(SECOND_SNAPSHOT),
            "--out", str(out), "--no-pdf"]  # fmt: skip
    assert cli_main(argv) == 0  # listed, but not fatal without --strict
    assert cli_main([*argv, "--strict"]) == 1
    printed = capsys.readouterr().out
    assert "FAILED" in printed and "гр. 1 ≤ гр. 2 [стр. 11]" in printed
    sheet = openpyxl.load_workbook(out)["Контроль"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert any(row[2] == "гр. 1 ≤ гр. 2" and row[3] == "стр. 11" for row in rows)


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def in_warehouse(duckdb_settings, monkeypatch):
    monkeypatch.setenv("EMIS_HOME", str(duckdb_settings.home))
    monkeypatch.delenv("EMIS_WAREHOUSE", raising=False)
    return duckdb_settings


def test_the_command_writes_the_form_in_the_official_layout(in_warehouse, tmp_path, capsys):
    out = tmp_path / "forms" / "osh-1.xlsx"
    code = cli_main(["report", "osh-1", "--territory", "41707", "--as-of", "2025-09-15",
                     "--out", str(out), "--no-pdf"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "ОШ-1" in printed and "0 failed" in printed and str(out) in printed
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Титул", *(f"Раздел {n}" for n in range(1, 9)), "Контроль"]
    title = {c.value for row in workbook["Титул"].iter_rows() for c in row if c.value}
    assert "Отчет дневной общеобразовательной школы на начало учебного года" in title
    assert "по состоянию на 15.09.2025" in title and "ОШ-1" in title
    assert "Таласская область" in title
    section = workbook["Раздел 2"]
    assert section["A2"].value == "Раздел 2. Классы и учащиеся по классам"
    assert [section.cell(6, col).value for col in range(1, 10)] == ["А", "Б", 1, 2, 3, 4, 5, 6, 7]
    assert [section.cell(row, 2).value for row in range(7, 22)] == [f"{n:02d}" for n in
                                                                    range(1, 16)]  # fmt: skip
    assert section.cell(7, 1).value == "1 класс"
    assert section.freeze_panes == "C7"
    assert "A4:A5" in {str(r) for r in section.merged_cells.ranges}  # headings span two rows
    assert section.page_setup.orientation == "landscape"
    assert str(section.page_setup.paperSize) == "9"  # A4
    assert section.print_area == "'Раздел 2'!$A$1:$I$21"
    assert section.sheet_properties.pageSetUpPr.fitToPage
    births = workbook["Раздел 5"]
    assert births.cell(19, 1).value == "2018 г."  # born in 2018: 7 in 2025
    assert workbook["Контроль"]["A2"].value.endswith("нарушений нет")


def test_the_command_in_kyrgyz(in_warehouse, tmp_path):
    out = tmp_path / "85-k.xlsx"
    assert cli_main(["report", "85-k", "--out", str(out), "--language", "ky", "--no-pdf"]) == 0
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames[1] == "1-бөлүм"
    title = {c.value for row in workbook["Титул"].iter_rows() for c in row if c.value}
    assert "Мектепке чейинки билим берүү уюмунун отчету" in title
    assert "01.01.2026 карата абал боюнча" in title


def test_the_command_lists_the_forms(capsys):
    assert cli_main(["report", "--list"]) == 0
    printed = capsys.readouterr().out
    for code in ("ОШ-1", "85-К", "1-профтех", "2-НК", "3-НК", "77:"):
        assert code in printed
    assert "1 January" in printed and "control ratios" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "osh-2", "--out", "x.xlsx"], "no form 'osh-2'"),
        (["report", "osh-1", "--territory", "12345", "--out", "x.xlsx"], "--territory 12345"),
        (["report", "osh-1", "--as-of", "2026-09-15", "--out", "x.xlsx"], "after the latest"),
        (["report", "osh-1", "--organization", "NOPE", "--out", "x.xlsx"], "no such organization"),
        (["report", "osh-1", "--out", "x.pdf"], "must end in .xlsx"),
        (["report", "osh-1"], "--out FILE.xlsx is required"),
    ],
)
def test_user_mistakes_are_one_line(in_warehouse, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert cli_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_a_pdf_beside_the_workbook_when_libreoffice_is_installed(in_warehouse, tmp_path):
    out = tmp_path / "77.xlsx"
    assert cli_main(["report", "77", "--out", str(out), "--no-pdf"]) == 0
    pdf = to_pdf(out)
    if find_office() is None:
        assert pdf is None  # optional: without LibreOffice the workbook alone
    else:
        assert pdf == out.with_suffix(".pdf") and pdf.read_bytes().startswith(b"%PDF")


def test_counts_are_whole_numbers_and_rates_are_hundredths(reports):
    for report in reports.values():
        for value in report.values.values():
            assert value is None or isinstance(value, int) or np.isclose(value, round(value, 2))


def test_no_warehouse_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EMIS_HOME", str(tmp_path))
    monkeypatch.delenv("EMIS_WAREHOUSE", raising=False)
    assert cli_main(["report", "osh-1", "--out", str(tmp_path / "x.xlsx")]) == 2
    assert "no warehouse" in capsys.readouterr().err


# --- forms from a release's form inputs ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_form_inputs_fill_the_same_forms_as_the_warehouse(engine, request, tmp_path):
    """A release ships the forms' inputs (reports.extract): every form filled from them, for
    the republic and as of another date, equals the form filled from the warehouse; nothing
    derived from a PIN is in them."""
    settings = request.getfixturevalue(f"{engine}_settings")
    path = write_form_inputs(settings, tmp_path / "forms.duckdb")
    from_release = form_settings(path, tmp_path / "home")
    for form_id in form_ids():
        expected = build_report(settings, form_id)
        got = build_report(from_release, form_id)
        assert got.values == expected.values, form_id
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select column_name from duckdb_columns() where not internal"
        ).fetchall()
    columns = {column for (column,) in columns}
    assert not any("pin" in column for column in columns)


@pytest.mark.postgres
def test_form_inputs_from_postgres_equal_those_from_duckdb(request, tmp_path):
    """PostgreSQL's tables are copied through CSV (``COPY``): the same rows and column types
    as DuckDB's copy of the same export, missing values and empty strings kept apart."""
    ours = write_form_inputs(request.getfixturevalue("postgres_settings"), tmp_path / "pg.duckdb")
    theirs = write_form_inputs(request.getfixturevalue("duckdb_settings"), tmp_path / "d.duckdb")
    with duckdb.connect() as con:
        con.execute(f"attach '{ours}' as ours (read_only)")
        con.execute(f"attach '{theirs}' as theirs (read_only)")
        for name in FORM_INPUTS:
            types = [
                con.execute(f"describe {side}.{name}").fetchall() for side in ("ours", "theirs")
            ]
            assert types[0] == types[1], name
            for a, b in (("ours", "theirs"), ("theirs", "ours")):
                extra = f"select * from {a}.{name} except all select * from {b}.{name}"
                assert con.execute(f"select count(*) from ({extra})").fetchall() == [(0,)], name


@pytest.mark.postgres
def test_a_table_copied_from_postgres_keeps_awkward_values(pg_server, tmp_path):
    """Missing values and empty strings kept apart, quotes, commas and line breaks in text,
    booleans, timestamps, doubles to the last digit, an empty table."""
    name = f"emis_copy_{uuid.uuid4().hex[:8]}"
    dsn = create_database(pg_server, name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("create schema reference")
            conn.execute(
                "create table reference.awkward (id integer, label text, flag boolean, "
                "at timestamp, share double precision, pin_pseudonym text)"
            )
            conn.execute(
                "insert into reference.awkward values "
                "(1, '', true, '2026-01-17 13:00:00.123456', 0.1, 'x'), "
                "(2, null, false, null, 1e-300, 'y'), "
                "(3, 'a \"quoted\", comma\nand a line', null, '2025-09-15 00:00:00', "
                "2.0 / 3.0, null)"
            )
            conn.execute("create table reference.nothing (id integer)")
            with duckdb.connect() as out:
                out.execute("create schema reference")
                for table in ("reference.awkward", "reference.nothing"):
                    copy_table_from_postgres(conn, out, table, tmp_path / f"{table}.csv")
                copied = out.execute("select * from reference.awkward order by id").fetchall()
                assert out.execute("select count(*) from reference.nothing").fetchall() == [(0,)]
            expected = conn.execute(
                "select id, label, flag, at, share from reference.awkward order by id"
            ).fetchall()
        assert copied == expected
        assert copied[0][1] == "" and copied[1][1] is None
    finally:
        drop_database(pg_server, name)
