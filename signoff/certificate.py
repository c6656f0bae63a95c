"""Data certificates: what the head of an organization signs for a census date.

One canonical JSON document per organization operating on the census date::

    kind, version            "emis-data-certificate", 1
    organization_id, district_code, census_date
    load_id                  the warehouse load its figures were read from
    forms                    {form id: {"code": "ОШ-1", "cells": {"section/row/col": value}}}:
                             the organization's own state forms (those of its sector), filled
                             as of the census date exactly as `emis report --organization`
                             fills them; cells not listed are 0
    learners                 learners enrolled on the census date
    records                  records per register on the census date (classes, staff
                             assignments, enrolment events, infrastructure surveys)
    quality                  {"blocking": {rule: records}, "warning": {rule: records}}: the
                             latest load's open issues (``quality.dq_issues``)

Ids, codes and counts only: nothing personal. Its SHA-256 (``canonical.sha256``) is what a
signature covers. Certificates are computed from the warehouse (by `emis publish`, which
ships them in the restricted bundle, and by `emis signoff verify`), never by the portal.

A daily publish takes the earlier release's figures forward when the loads since changed
nothing in force on the census date (``recompute_because``): every figure but the quality
issues is as of that date, and a delta dated after it adds versions valid only from its own
snapshot date. The quality issues and the load are read again. ``tests/integration/
test_certificates_carried.py`` compares the figures carried with the figures recomputed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from emis import fingerprint
from emis.settings import Settings
from signoff import canonical

KIND = "emis-data-certificate"
VERSION = 1
PINNED_FIELD = "load_id"  # the one field a later, unchanged load may differ in

# Records per register in force on the census date (the histories' version then, or their
# first version for a date before the first export that lists them, as the forms read them).
IN_FORCE = (
    "((history.valid_from_date <= :as_of and (history.valid_to_date is null "
    "or history.valid_to_date > :as_of)) or (history.version_number = 1 "
    "and history.valid_from_date > :as_of))"
)
RECORDS_SQL = f"""
select history.org_id as organization_id, 'classes' as register, count(*) as records
from snapshots.snp_emis__classes as history where {IN_FORCE} group by history.org_id
union all
select history.org_id, 'staff_assignments', count(*)
from snapshots.snp_emis__staff_assignments as history where {IN_FORCE} group by history.org_id
union all
select events.organization_id, 'enrolment_events', count(*)
from staging.stg_emis__enrolment_events as events where events.event_date <= :as_of
group by events.organization_id
union all
select surveys.organization_id, 'infrastructure_surveys', count(*)
from staging.stg_emis__infrastructure_surveys as surveys where surveys.survey_date <= :as_of
group by surveys.organization_id
"""
ISSUES_SQL = """
select issues.org_id as organization_id, issues.severity, issues.rule,
       count(distinct issues.record_id) as records
from quality.dq_issues as issues
inner join meta.latest_load as latest on issues.load_id = latest.load_id
where issues.org_id is not null
group by issues.org_id, issues.severity, issues.rule
"""
LOAD_SQL = "select max(load_id) as load_id, max(snapshot_date) as snapshot_date from meta.loads"
CURRENT_LOADS_SQL = (
    "select load_id, snapshot_date, load_sequence, is_base from meta.current_loads "
    "order by load_sequence"
)


def _new_records(table: str, key: str) -> str:
    """Records of a raw register first delivered after load :after."""
    return (
        f"select delivered.{key} from raw.{table} as delivered "
        f"left join raw.{table} as earlier "
        f"on earlier.{key} = delivered.{key} and earlier.load_id <= :after "
        f"where delivered.load_id > :after and earlier.{key} is null"
    )


# What the loads after :after delivered that is in force on the census date :as_of. A later
# version of a known record is valid from its load's snapshot date, after the census date,
# and leaves the version in force then as it was; but a record's first version counts from
# before its first export (shared.sql), and events and surveys carry their own dates.
# Each change is listed when its count is not 0: a count is planned for all rows (hash
# joins), where PostgreSQL planned `exists` for its first row, a nested loop rescanning the
# 4.6 million national events for each delivered one (5.5 min on a day's delta).
CENSUS_CHANGES_SQL = f"""
select 1 as listed,
    'a movement event dated on or before the census date, or moved from it' as change
from raw.enrolments as delivered
left join raw.enrolments as earlier
    on earlier.event_id = delivered.event_id and earlier.load_id <= :after
    and earlier.event_date <= :as_of
where delivered.load_id > :after
    and (delivered.event_date <= :as_of or earlier.event_id is not null)
having count(*) > 0
union all
select 2, 'an infrastructure survey dated on or before the census date'
from raw.infrastructure as delivered
where delivered.load_id > :after and delivered.survey_date <= :as_of
having count(*) > 0
union all
select 3, 'a new organization'
from ({_new_records("organizations", "org_id")}) as new_records having count(*) > 0
union all
select 4, 'a new class'
from ({_new_records("classes", "class_id")}) as new_records having count(*) > 0
union all
select 5, 'a new staff assignment'
from ({_new_records("staff_assignments", "assignment_id")}) as new_records having count(*) > 0
union all
select 6, 'a new learner named by a movement event on or before the census date'
from ({_new_records("students", "student_id")}) as new_learners
inner join raw.enrolments as events on new_learners.student_id = events.student_id
where events.event_date <= :as_of
having count(*) > 0
union all
select 7, 'a new staff member with an assignment'
from ({_new_records("staff", "staff_id")}) as new_staff
inner join raw.staff_assignments as assignments on new_staff.staff_id = assignments.staff_id
having count(*) > 0
order by 1
"""
# What the figures depend on besides the data: the forms and their fact queries, the
# register histories and staging models they read, and the reference seeds.
FINGERPRINTED = (
    "signoff/certificate.py",
    "reports/dates.py",
    "reports/declaration.py",
    "reports/fill.py",
    "reports/metrics.py",
    "reports/forms",
    "reports/sql",
    "dbt_project/dbt_project.yml",
    "dbt_project/macros",
    "dbt_project/models/snapshots",
    "dbt_project/models/staging",
    "dbt_project/seeds",
)


@dataclass(frozen=True)
class Basis:
    """What certificates were computed from: the loads through ``load_id``, for
    ``census_date``, by the code of fingerprint ``code`` (``FINGERPRINTED``)."""

    load_id: int
    census_date: str
    code: str


@dataclass(frozen=True)
class Earlier:
    """An earlier release's certificates and their basis."""

    basis: Basis
    certificates: list[dict]


@dataclass(frozen=True)
class Computed:
    certificates: list[dict]
    basis: Basis
    recomputed_because: str | None  # None: the earlier figures were carried forward


@dataclass(frozen=True)
class Change:
    """One figure of a certificate that differs between two versions of it."""

    path: str  # forms/osh-1/1/05/3, learners, records/classes, quality/blocking/rule
    label: str  # what a person reads: "ОШ-1 section 1, row 05, column 3"
    before: object
    after: object


def census_date_of(snapshot_date: dt.date) -> dt.date:
    """The latest census date (15 September) an export of ``snapshot_date`` covers."""
    from reports.dates import default_as_of

    return default_as_of("census", snapshot_date)


def certified_forms():
    """The state forms an organization fills itself: those declared for a sector."""
    from reports.declaration import form_ids, load_form

    return [form for form in map(load_form, form_ids()) if form.is_state_form and form.sectors]


def compute(settings: Settings, census_date: dt.date | None = None) -> list[dict]:
    """Every organization's certificate for ``census_date`` (default: the latest the latest
    export covers), read from the warehouse of ``settings`` on one read-only connection."""
    return update(settings, census_date).certificates


def update(
    settings: Settings, census_date: dt.date | None = None, earlier: Earlier | None = None
) -> Computed:
    """The certificates as ``compute`` makes them; the figures of ``earlier`` carried forward
    when nothing they stand on changed (``recompute_because``)."""
    from reports.dates import academic_year_of, period_start
    from reports.fill import wanted_queries
    from reports.metrics import Parameters, connect, fetch_facts

    with connect(settings, reuse=True) as run:  # four learners reads, one census date
        load = run(LOAD_SQL, {}).iloc[0]
        snapshot = pd.Timestamp(load["snapshot_date"]).date()
        census = census_date or census_date_of(snapshot)
        if census > snapshot:
            raise ValueError(f"census date {census} is after the export's {snapshot}")
        basis = Basis(int(load["load_id"]), census.isoformat(), code_fingerprint())
        issues = run(ISSUES_SQL, {})
        why = recompute_because(run, earlier, basis)
        if why is None:
            return Computed(carried(earlier.certificates, basis.load_id, issues), basis, None)

        def parameters(sectors=(), operating_only=True, period=None) -> Parameters:
            return Parameters(
                as_of=census,
                academic_year=academic_year_of(census),
                scope="KG",
                sectors=tuple(sectors),
                operating_only=operating_only,
                period_start=period_start(period, census) if period else census,
            )

        everyone = fetch_facts(
            run, parameters(), {"organizations": {"district_code"}, "learners": set()}
        )
        forms = []
        for group in sharing_facts(certified_forms(), wanted_queries):
            first = group[0]
            sectors = sorted({sector for form in group for sector in form.sectors})
            facts = fetch_facts(
                run,
                parameters(sectors, first.operating_only, first.period),
                wanted_queries(first),
            )
            forms += [(form, of_sectors(facts, form.sectors)) for form in group]
        records = run(RECORDS_SQL, {"as_of": census})
    documents = assemble(
        census,
        basis.load_id,
        everyone["organizations"],
        everyone["learners"],
        forms,
        records,
        issues,
    )
    return Computed(documents, basis, why)


def code_fingerprint() -> str:
    return fingerprint.of_files(FINGERPRINTED)


def recompute_because(run, earlier: Earlier | None, basis: Basis) -> str | None:
    """Why ``earlier``'s figures cannot stand for ``basis``, or None when they do: the same
    census date and code, the earlier load still among the current loads (no full export
    since), every later load after it and of a snapshot date after the census date, and
    nothing they delivered in force on the census date (``CENSUS_CHANGES_SQL``)."""
    if earlier is None:
        return "no earlier certificates"
    before = earlier.basis
    if before.census_date != basis.census_date:
        return f"the census date is {basis.census_date}, the earlier {before.census_date}"
    if before.code != basis.code:
        return "the forms, their fact queries or the reference data changed"
    loads = run(CURRENT_LOADS_SQL, {})
    mine = loads[loads["load_id"] == before.load_id]
    if mine.empty:
        return f"load {before.load_id} is no longer among the current loads"
    later = loads[loads["load_id"] > before.load_id]
    census = dt.date.fromisoformat(basis.census_date)
    if (later["load_sequence"] < mine["load_sequence"].iloc[0]).any():
        return f"a later load comes before load {before.load_id} by its snapshot date"
    if later["is_base"].astype(bool).any():
        return "a full export since"
    if (pd.to_datetime(later["snapshot_date"]).dt.date <= census).any():
        return "a load of a snapshot date on or before the census date"
    changes = run(CENSUS_CHANGES_SQL, {"after": before.load_id, "as_of": census})
    return "; ".join(changes["change"]) or None


def carried(earlier: Iterable[Mapping], load_id: int, issues: pd.DataFrame) -> list[dict]:
    """The ``earlier`` certificates' figures with ``load_id`` and the latest ``issues``."""
    documents = {
        document["organization_id"]: {
            **document,
            PINNED_FIELD: load_id,
            "quality": {"blocking": {}, "warning": {}},
        }
        for document in earlier
    }
    _add_issues(documents, issues)
    return [canonical.stable(documents[key]) for key in sorted(documents)]


def _add_issues(documents: dict[str, dict], issues: pd.DataFrame) -> None:
    for row in issues.itertuples():
        if row.organization_id in documents:
            severity = "blocking" if row.severity == "blocking" else "warning"
            documents[row.organization_id]["quality"][severity][row.rule] = int(row.records)


def sharing_facts(forms, wanted_queries) -> list[list]:
    """``forms`` grouped by the facts they read, their sectors aside: one read serves a group
    (the vocational, college and higher forms read the same queries over the same period).
    Facts are per organization, and a form's sectors only choose its organizations."""
    groups: dict[tuple, list] = {}
    for form in forms:
        wanted = tuple(
            sorted((query, tuple(sorted(dims))) for query, dims in wanted_queries(form).items())
        )
        groups.setdefault((form.operating_only, form.period, wanted), []).append(form)
    return list(groups.values())


def of_sectors(
    facts: Mapping[str, pd.DataFrame], sectors: Iterable[str]
) -> dict[str, pd.DataFrame]:
    """The facts of the organizations of ``sectors`` (the organizations query names each
    organization's sector)."""
    organizations = facts["organizations"]
    ids = organizations.loc[organizations["sector"].isin(list(sectors)), "organization_id"]
    return {
        name: frame[frame["organization_id"].isin(ids)].reset_index(drop=True)
        for name, frame in facts.items()
    }


def assemble(
    census: dt.date,
    load_id: int,
    organizations: pd.DataFrame,
    learners: pd.DataFrame,
    forms: Iterable[tuple[object, Mapping[str, pd.DataFrame]]],
    records: pd.DataFrame,
    issues: pd.DataFrame,
) -> list[dict]:
    """The certificates from per-organization facts (pure: frames in, documents out)."""
    from reports.fill import nonzero_each_organization

    organizations = organizations.sort_values("organization_id")
    learners_of = learners.groupby("organization_id")["learners"].sum().to_dict()
    documents = {
        row.organization_id: {
            "kind": KIND,
            "version": VERSION,
            "organization_id": row.organization_id,
            "district_code": row.district_code,
            "census_date": census.isoformat(),
            PINNED_FIELD: load_id,
            "forms": {},
            "learners": int(learners_of.get(row.organization_id, 0)),
            "records": {},
            "quality": {"blocking": {}, "warning": {}},
        }
        for row in organizations.itertuples()
    }
    for form, facts in forms:
        for organization, values in nonzero_each_organization(form, facts).items():
            if organization in documents:
                documents[organization]["forms"][form.id] = {
                    "code": form.code,
                    "cells": {f"{section}/{row}/{col}": value
                              for (section, row, col), value in values.items()},
                }  # fmt: skip
    for row in records.itertuples():
        if row.organization_id in documents and int(row.records):
            documents[row.organization_id]["records"][row.register] = int(row.records)
    _add_issues(documents, issues)
    return [canonical.stable(documents[key]) for key in sorted(documents)]


def sha256(document: Mapping) -> str:
    return canonical.sha256(document)


def same_content(a: Mapping, b: Mapping) -> bool:
    """Whether two certificates certify the same figures (they may name different loads)."""
    return {**a, PINNED_FIELD: None} == {**b, PINNED_FIELD: None}


def pinned(current: Mapping, signed: Mapping | None) -> Mapping:
    """The certificate as it stands: the signed one while the data it covers are unchanged
    (a later load that changes none of its figures leaves its hash and signature standing),
    else the one just computed."""
    if signed is not None and same_content(current, signed):
        return signed
    return current


def changes(before: Mapping, after: Mapping) -> list[Change]:
    """Every figure that differs between two certificates of one organization and date."""
    old, new = flatten(before), flatten(after)
    found = []
    for path in sorted(set(old) | set(new)):
        a, b = old.get(path, 0), new.get(path, 0)
        if a != b:
            found.append(Change(path, label(path, before, after), a, b))
    return found


def flatten(document: Mapping) -> dict[str, object]:
    """Each figure of a certificate by its path (forms/osh-1/1/05/3, records/classes, ...)."""
    flat: dict[str, object] = {}
    for form_id, form in document.get("forms", {}).items():
        for cell, value in form["cells"].items():
            flat[f"forms/{form_id}/{cell}"] = value
    flat["learners"] = document.get("learners", 0)
    for register, count in document.get("records", {}).items():
        flat[f"records/{register}"] = count
    for severity, rules in document.get("quality", {}).items():
        for rule, count in rules.items():
            flat[f"quality/{severity}/{rule}"] = count
    for key in ("organization_id", "district_code", "census_date"):
        flat[key] = document.get(key)
    return flat


def label(path: str, *documents: Mapping) -> str:
    """A figure's name as the forms and the portal say it."""
    parts = path.split("/")
    if parts[0] == "forms":
        codes = [d.get("forms", {}).get(parts[1], {}).get("code") for d in documents]
        code = next((c for c in codes if c), parts[1])
        return f"{code} section {parts[2]}, row {parts[3]}, column {parts[4]}"
    if parts[0] == "records":
        return f"records in the {parts[1].replace('_', ' ')} register"
    if parts[0] == "quality":
        return f"{parts[1]} quality issue {parts[2]} (records)"
    return path.replace("_", " ")
