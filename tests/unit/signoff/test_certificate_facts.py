"""The certificates' facts: read once for forms that differ only in their sectors, then
split by sector."""

import pandas as pd

from reports.fill import wanted_queries
from signoff.certificate import certified_forms, of_sectors, sharing_facts


def test_forms_differing_only_in_sectors_share_one_read():
    groups = [
        sorted(form.id for form in group)
        for group in sharing_facts(certified_forms(), wanted_queries)
    ]
    assert sorted(groups) == [["1-proftech", "2-nk", "3-nk"], ["85-k"], ["osh-1"]]


def test_the_facts_of_a_sector_are_its_organizations_only():
    facts = {
        "organizations": pd.DataFrame(
            {"organization_id": ["A", "B", "C"], "sector": ["college", "higher", "school"]}
        ),
        "learners": pd.DataFrame(
            {"organization_id": ["C", "A", "B", "A"], "learners": [1, 2, 3, 4]}
        ),
    }
    mine = of_sectors(facts, ("college", "higher"))
    assert mine["organizations"]["organization_id"].tolist() == ["A", "B"]
    assert mine["learners"].to_dict("list") == {
        "organization_id": ["A", "B", "A"],
        "learners": [2, 3, 4],
    }
    assert of_sectors(facts, ("preschool",))["learners"].empty
