"""One report: a form for a scope (an organization, a district, an oblast or the republic) as
of a reporting date, filled from the warehouse and checked against its control ratios."""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

import pandas as pd

from emis.errors import UserError
from emis.reference import territories
from emis.settings import Settings
from reports import dates
from reports.declaration import Form, Text, load_form
from reports.fill import Values, fill, wanted_queries
from reports.metrics import Parameters, connect, fetch_facts
from reports.ratios import Check, evaluate
from signoff.release import certification_note

log = logging.getLogger(__name__)
REPUBLIC = "KG"
REPUBLIC_NAME = Text("Кыргызская Республика", "Кыргыз Республикасы")


@dataclass(frozen=True)
class Scope:
    """Who the report is for: ``kind`` is republic, oblast, district or organization."""

    code: str
    kind: str
    name: Text
    location: Text | None = None  # where it lies: an organization's district, a district's oblast


@dataclass
class Report:
    form: Form
    scope: Scope
    as_of: dt.date
    academic_year: str
    period_start: dt.date | None
    snapshot_date: dt.date
    organizations: int
    values: Values
    checks: list[Check]
    seconds: float = 0.0
    generated_at: dt.datetime = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    )
    certification: Text | None = None  # how much of its data is certified (signoff)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]


def territory_scope(code: str) -> Scope:
    """The republic (KG), an oblast (5 digits) or a district (8 digits) of the territories seed."""
    if code.upper() == REPUBLIC:
        return Scope(REPUBLIC, "republic", REPUBLIC_NAME)
    table = territories()
    district = table[table["district_code"] == code]
    if not district.empty:
        row = district.iloc[0]
        oblast = Text(
            f"{row['oblast_ru']} ({row['oblast_code']})",
            f"{row['oblast_ky']} ({row['oblast_code']})",
        )
        return Scope(code, "district", Text(row["name_ru"], row["name_ky"]), oblast)
    oblast = table[table["oblast_code"] == code]
    if not oblast.empty:
        row = oblast.iloc[0]
        return Scope(code, "oblast", Text(row["oblast_ru"], row["oblast_ky"]), REPUBLIC_NAME)
    raise UserError(
        f"--territory {code}: not KG, an oblast (5 digits) or a district (8 digits) of "
        "dbt_project/seeds/territories.csv"
    )


def build_report(
    settings: Settings,
    form: Form | str,
    *,
    territory: str = REPUBLIC,
    organization: str | None = None,
    as_of: dt.date | None = None,
) -> Report:
    """Fill ``form`` (a declaration, or its id) for a territory (or one organization) as of a
    date (default: the form's latest reporting date the latest export covers) and check its
    control ratios."""
    started = time.perf_counter()
    form = load_form(form) if isinstance(form, str) else form
    with connect(settings) as run:
        snapshot_date = _latest_snapshot(run)
        as_of = as_of or dates.default_as_of(form.reporting_date, snapshot_date)
        if as_of > snapshot_date:
            raise UserError(
                f"--as-of {as_of}: after the latest export's snapshot date {snapshot_date}; "
                "the registers do not know it yet"
            )
        scope = _organization_scope(run, organization, as_of) if organization else None
        scope = scope or territory_scope(territory)
        period_start = dates.period_start(form.period, as_of) if form.period else None
        parameters = Parameters(
            as_of=as_of,
            academic_year=dates.academic_year_of(as_of),
            scope=scope.code,
            sectors=form.sectors,
            operating_only=form.operating_only,
            period_start=period_start or as_of,
        )
        facts = fetch_facts(run, parameters, wanted_queries(form))
    values = fill(form, facts)
    checks = [
        check
        for number, section, ratio in form.control_ratios()
        for check in evaluate(ratio, number, section, form.layouts, values)
    ]
    report = Report(
        form=form,
        scope=scope,
        as_of=as_of,
        academic_year=parameters.academic_year,
        period_start=period_start,
        snapshot_date=snapshot_date,
        organizations=len(facts["organizations"]),
        values=values,
        checks=checks,
        seconds=time.perf_counter() - started,
    )
    report.certification = certification_note(settings, form.id, scope.code, as_of)
    log.info("%s for %s as of %s in %.1fs", form.code, scope.code, as_of, report.seconds)
    return report


def _latest_snapshot(run) -> dt.date:
    try:
        frame = run(
            "select loads.snapshot_date, "
            "(select count(*) from snapshots.snp_emis__organizations) as organizations "
            "from meta.latest_load as loads",
            {},
        )
    except Exception as error:  # any engine's "no such table"
        raise UserError(
            "the warehouse has no register histories: run `emis ingest` and `emis build` first "
            f"({str(error).splitlines()[0][:120]})"
        ) from None
    if frame.empty:
        raise UserError("the warehouse holds no export: run `emis ingest` and `emis build`")
    return pd.Timestamp(frame.iloc[0]["snapshot_date"]).date()


def _organization_scope(run, organization: str, as_of: dt.date) -> Scope:
    """An organization named as of the date: the version in force then (before the first
    export that lists it, its first version)."""
    versions = run(
        "select name_ru, name_ky, district_code, valid_from_date "
        "from snapshots.snp_emis__organizations where org_id = :organization "
        "order by version_number",
        {"organization": organization},
    )
    if versions.empty:
        raise UserError(f"--organization {organization}: no such organization in the registers")
    in_force = [pd.Timestamp(day).date() <= as_of for day in versions["valid_from_date"]]
    row = versions.iloc[max([i for i, ok in enumerate(in_force) if ok], default=0)]
    name_ky = row["name_ru"] if pd.isna(row["name_ky"]) else row["name_ky"]
    name = Text(str(row["name_ru"]), str(name_ky))
    district = territory_scope(str(row["district_code"]))
    location = Text(
        f"{district.name.ru} ({district.code})", f"{district.name.ky} ({district.code})"
    )
    return Scope(organization, "organization", name, location)
