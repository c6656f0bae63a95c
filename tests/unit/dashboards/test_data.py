"""Release access: the current release, territories, and scope enforced where data is read."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards import data
from dashboards.data import Scope, ScopeError
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
    assert list(issues["organization_id"]) == [OWN_SCHOOL]
    with pytest.raises(ScopeError):
        data.restricted_rows(path, "monitoring_issues", DISTRICT, OTHER_DISTRICT)


def test_the_current_release_is_the_link_target(portal_home: PortalHome):
    release = data.find_release(portal_home.home / "releases")
    assert release.path == portal_home.release.resolve()
    assert data.find_release(portal_home.home / "nowhere") is None


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


def test_forms_are_the_ministrys():
    with pytest.raises(ScopeError):
        data.generate_form(DISTRICT, "OSh-1", OWN_DISTRICT, __import__("datetime").date.today())
