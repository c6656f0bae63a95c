"""The national organization register (no learners drawn: fast) meets the published counts
that a random draw would miss: single-language minority schools, kindergarten places."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ingestion.synthetic.organizations import make_organizations
from ingestion.synthetic.scales import district_weights, resolve_scale


@pytest.fixture(scope="module", params=[1, 7])
def national(request):
    rng = np.random.default_rng(request.param)
    weights = district_weights(rng)
    orgs = make_organizations(
        rng, resolve_scale("national", weights), weights, dt.date(2026, 1, 15)
    )
    return orgs[orgs["status"] == "active"]


@pytest.mark.parametrize(("language", "published"), [("uz", 18), ("tg", 3), ("en", 5)])
def test_schools_teaching_in_one_minority_language(national, language, published):
    """calibration.md (Ministry, Aug 2024): uz 18, tg 3, en 5 general schools; any seed."""
    schools = national[national["sector"] == "school"]
    assert (schools["languages"] == language).sum() == published


def test_kindergartens_hold_113_children_per_100_places(national):
    """NSC 2024: 113 children per 100 places (children on the census date, design capacity)."""
    kindergartens = national[national["sector"] == "preschool"]
    per_100 = 100 * kindergartens["learners"].sum() / kindergartens["design_capacity"].sum()
    assert per_100 == pytest.approx(113, abs=113 * 0.05)
