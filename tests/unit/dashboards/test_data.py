"""Release access: the current release, territories, and scope enforced where data is read."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from dashboards import data
from dashboards.data import Scope, ScopeError
from emis.errors import UserError
from tests.portal_fixtures import OTHER_DISTRICT, OTHER_SCHOOL, OWN_DISTRICT, OWN_SCHOOL, PortalHome

MINISTRY = Scope("ministry")
DISTRICT = Scope("district", district_code=OWN_DISTRICT)
SCHOOL = Scope("school", organization_id=OWN_SCHOOL)


def test_a_district_reads_its_own_district_only():
    assert data.scope_filter(DISTRICT, "monitoring_organizations") == (
        '"district_code" = ?',
        [OWN_DISTRICT],
    )
    with pytest.raises(ScopeError):
        data.scope_filter(DISTRICT, "monitoring_organizations", district_code=OTHER_DISTRICT)
    with pytest.raises(ScopeError):
        data.scope_filter(DISTRICT, "dq_issues")  # no district column: ministry only
    with pytest.raises(ScopeError):
        data.scope_filter(DISTRICT, "some_new_table")


def test_a_school_reads_its_own_organization_only():
    assert data.scope_filter(SCHOOL, "monitoring_issues") == ('"organization_id" = ?', [OWN_SCHOOL])
    for request in ({"organization_id": OTHER_SCHOOL}, {"district_code": OWN_DISTRICT}):
        with pytest.raises(ScopeError):
            data.scope_filter(SCHOOL, "monitoring_issues", **request)
    with pytest.raises(ScopeError):
        data.scope_filter(SCHOOL, "monitoring_territories")


def test_the_ministry_reads_everything_or_what_it_asks_for():
    assert data.scope_filter(MINISTRY, "dq_issues") == ("true", [])
    assert data.scope_filter(MINISTRY, "monitoring_issues", district_code=OTHER_DISTRICT)[1] == [
        OTHER_DISTRICT
    ]


def test_scopes_need_their_territory():
    with pytest.raises(ValueError, match="district"):
        Scope("district")
    with pytest.raises(ValueError, match="organization"):
        Scope("school")


def test_restricted_rows_hold_only_the_scope(portal_home: PortalHome):
    path = str(portal_home.release)
    own = data.restricted_rows(path, "monitoring_organizations", DISTRICT)
    everyone = data.restricted_rows(path, "monitoring_organizations", MINISTRY)
    assert set(own["district_code"]) == {OWN_DISTRICT}
    assert set(everyone["district_code"]) == {OWN_DISTRICT, OTHER_DISTRICT}
    issues = data.restricted_rows(path, "monitoring_issues", SCHOOL)
    assert set(issues["organization_id"]) == {OWN_SCHOOL}
    assert set(issues["record_id"]) == portal_home.issue_records(OWN_SCHOOL)
    with pytest.raises(ScopeError):
        data.restricted_rows(path, "monitoring_issues", DISTRICT, OTHER_DISTRICT)


def test_the_current_release_is_the_link_target(portal_home: PortalHome):
    release = data.find_release(portal_home.home / "releases")
    assert release.path == portal_home.release.resolve()
    assert data.find_release(portal_home.home / "nowhere") is None
    assert data.all_releases(portal_home.home / "releases") == [release]  # not `current` too
    assert data.previous_release_id(release) is None


def test_releases_are_ordered_by_date_then_number_skipping_links_and_partials(tmp_path):
    for name in ("2026-01-15.9", "2026-01-15.10", "2025-09-20.1", ".2026-02-01.1.partial"):
        (tmp_path / name / "open").mkdir(parents=True)
        (tmp_path / name / "open" / "open.duckdb").touch()
    (tmp_path / "current").symlink_to("2026-01-15.10")
    releases = data.all_releases(tmp_path)
    assert [r.release_id for r in releases] == ["2025-09-20.1", "2026-01-15.9", "2026-01-15.10"]
    assert data.previous_release_id(releases[-1]) == "2026-01-15.9"


def test_the_release_record_and_its_changelog(portal_home: PortalHome):
    path = str(portal_home.release)
    info = data.release_info(path)
    assert info["release_id"] == portal_home.release_id
    assert info["blocking_accepted"] and info["disclosure"]["observations"] > 0
    assert isinstance(info["load_ids"], list)
    assert {"indicator_id", "change"} <= set(data.changelog(path).columns)


def test_school_profiles_are_published_with_names_and_symbols(portal_home: PortalHome):
    path = str(portal_home.release)
    assert data.has_school_profiles(path)
    schools = data.schools(path).set_index("organization_id")
    assert schools.loc[OWN_SCHOOL, "district_code"] == OWN_DISTRICT
    assert schools.loc[OWN_SCHOOL, "organization_name_ru"]
    profile = data.school_profile(path, OWN_SCHOOL)
    assert {"learners", "teachers", "has_electricity"} <= set(profile["measure"])
    suppressed = profile[profile["symbol"] == "c"]
    assert suppressed["value"].isna().all()
    persons = profile[profile["measure"].isin(["learners", "teachers"]) & profile["symbol"].isna()]
    assert (persons["value"] % 5 == 0).all()  # rounded to base 5


def test_open_files_cannot_leave_the_open_bundle(portal_home: PortalHome):
    release = data.find_release(portal_home.home / "releases")
    assert data.open_file(release, "open.duckdb").name == "open.duckdb"
    for name in ("../restricted/monitoring_issues.parquet", "/etc/passwd", "missing.csv"):
        with pytest.raises(FileNotFoundError):
            data.open_file(release, name)


def test_territories_have_republic_oblasts_and_districts_in_three_languages():
    districts = pd.DataFrame(
        {"district_code": ["41707215"], "oblast_code": ["41707"], "oblast_ky": ["Талас облусу"],
         "oblast_ru": ["Таласская область"], "oblast_en": ["Talas Region"],
         "name_ru": ["Айтматовский район"], "name_ky": ["Айтматов району"], "kind": ["rayon"]}
    )  # fmt: skip
    table = data.territory_table(districts, {"41707215": "Aytmatov District"})
    assert list(table["territory_code"]) == ["KG", "41707", "41707215"]
    assert list(table["name_en"]) == ["Kyrgyz Republic", "Talas Region", "Aytmatov District"]
    assert table.iloc[0]["name_ky"] == "Кыргыз Республикасы"


def test_downloads_of_what_is_shown_open_in_excel():
    frame = pd.DataFrame({"Территория": ["Талас"], "Значение": [1.5]})
    assert data.to_csv(frame).startswith("\ufeffТерритория".encode())
    assert pd.read_excel(__import__("io").BytesIO(data.to_xlsx(frame))).equals(frame)


def test_forms_are_the_ministrys(portal_home: PortalHome):
    release = data.find_release(portal_home.home / "releases")
    for scope in (DISTRICT, SCHOOL):
        with pytest.raises(ScopeError):
            data.generate_form(scope, release, "osh-1", OWN_DISTRICT, dt.date(2025, 9, 15))
        with pytest.raises(ScopeError):
            data.form_organizations(scope, release)


def test_the_ministry_fills_any_form_from_the_release(portal_home: PortalHome, monkeypatch):
    for name, value in portal_home.env.items():
        monkeypatch.setenv(name, value)
    release = data.find_release(portal_home.home / "releases")
    assert {"osh-1", "85-k", "77"} <= {choice.form_id for choice in data.form_choices()}
    form = data.generate_form(
        MINISTRY, release, "osh-1", OWN_DISTRICT, dt.date(2025, 9, 15), language="en"
    )
    assert (form.code, form.as_of, form.organizations) == ("ОШ-1", dt.date(2025, 9, 15), 4)
    assert form.checks > 0
    workbook = openpyxl.load_workbook(io.BytesIO(form.content))
    title = " ".join(str(c) for row in workbook.worksheets[0].iter_rows(values_only=True)
                     for c in row if c)  # fmt: skip
    assert "ОШ-1" in title and "Айтматов" in title  # Russian: English reads the Russian form
    own = data.generate_form(MINISTRY, release, "osh-1", "KG", None, OWN_SCHOOL, "ky")
    assert own.organizations == 1 and own.scope_name
    organizations = data.form_organizations(MINISTRY, release)
    assert {OWN_SCHOOL, OTHER_SCHOOL} <= set(organizations["organization_id"])
    with pytest.raises(UserError, match="after the latest export's snapshot date"):
        data.generate_form(MINISTRY, release, "85-k", "KG", dt.date(2026, 6, 1))
