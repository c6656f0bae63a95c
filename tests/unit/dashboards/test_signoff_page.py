"""The Data sign-off page (AppTest) on the test release: each role sees its own part, in scope."""

from __future__ import annotations

import pytest

from dashboards import data
from dashboards.data import Scope, ScopeError
from tests.portal_fixtures import OTHER_DISTRICT, OTHER_SCHOOL, OWN_DISTRICT, OWN_SCHOOL

PAGE = "app_pages/signoff.py"


def test_certificates_are_read_inside_the_scope(portal_home):
    path = str(portal_home.release)
    district = Scope("district", OWN_DISTRICT)
    own = data.restricted_rows(path, "signoff_certificates", district)
    assert set(own["district_code"]) == {OWN_DISTRICT} and OTHER_SCHOOL not in set(
        own["organization_id"]
    )
    school = data.restricted_rows(path, "signoff_certificates", Scope("school", None, OWN_SCHOOL))
    assert list(school["organization_id"]) == [OWN_SCHOOL]
    with pytest.raises(ScopeError):
        data.restricted_rows(path, "signoff_certificates", district, OTHER_DISTRICT)


def test_the_school_head_sees_the_certificate_and_no_key_yet(app):
    at = app(PAGE, "school.user", lang="en")
    assert OWN_SCHOOL in at.title[0].value
    assert at.info[0].value == "Not signed"
    assert "no signing key" in at.info[1].value
    assert "Create my signing key" in [button.label for button in at.button]


def test_the_district_head_sees_its_organizations_only(app):
    at = app(PAGE, "district.user", lang="en")
    assert at.title[0].value == "Data sign-off: Aytmatov District"
    table = at.dataframe[0].value
    labels = list(table["Organization"])
    assert any(OWN_SCHOOL in label for label in labels)
    assert not any(OTHER_SCHOOL in label for label in labels)
    assert [m.label for m in at.metric] == [
        "Certified", "Share of learners", "District countersignature"
    ]  # fmt: skip


def test_the_ministry_follows_every_district(app):
    at = app(PAGE, "ministry.user", lang="en")
    progress = at.dataframe[0].value
    assert {OWN_DISTRICT, OTHER_DISTRICT} <= set(progress["Code"])
