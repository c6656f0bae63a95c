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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

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
    from reports.dates import academic_year_of, period_start
    from reports.fill import wanted_queries
    from reports.metrics import Parameters, connect, fetch_facts

    with connect(settings, reuse=True) as run:  # four learners reads, one census date
        load = run(LOAD_SQL, {}).iloc[0]
        snapshot = pd.Timestamp(load["snapshot_date"]).date()
        census = census_date or census_date_of(snapshot)
        if census > snapshot:
            raise ValueError(f"census date {census} is after the export's {snapshot}")

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
        issues = run(ISSUES_SQL, {})
    return assemble(
        census,
        int(load["load_id"]),
        everyone["organizations"],
        everyone["learners"],
        forms,
        records,
        issues,
    )


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
    for row in issues.itertuples():
        if row.organization_id in documents:
            severity = "blocking" if row.severity == "blocking" else "warning"
            documents[row.organization_id]["quality"][severity][row.rule] = int(row.records)
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
