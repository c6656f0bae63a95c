"""Filling cells from per-organization facts: filters of the row and the column together,
organization attributes joined where a cell asks for them, X where a cell does not apply."""

import pandas as pd
import yaml

from reports.declaration import parse_form
from reports.fill import fill, nonzero_each_organization, wanted_queries

FORM = parse_form(
    yaml.safe_load("""
id: t
code: Т-1
title: {ru: Тест, ky: Тест}
reporting_date: census
organizations: {sectors: [school]}
sections:
  - number: "1"
    title: {ru: Учащиеся, ky: Окуучулар}
    metric: learners
    filter: {level: [primary, basic]}
    columns:
      - {code: "1", label: {ru: Всего, ky: Бардыгы}}
      - {code: "2", label: {ru: девочки, ky: кыздар}, filter: {sex: F}}
      - {code: "3", label: {ru: город, ky: шаар}, filter: {locality: urban}}
      - {code: "4", label: {ru: классы, ky: класстар}, metric: classes}
    rows:
      - {code: "01", label: {ru: 1–4, ky: 1–4}, filter: {grade: {from: 1, to: 4}}}
      - {code: "02", label: {ru: "5", ky: "5"}, filter: {grade: 5}, blank: ["4"]}
      - {code: "03", label: {ru: всего, ky: бардыгы}}
    ratios:
      - стр. 03 = стр. 01 + стр. 02
""")
)

ORGANIZATIONS = pd.DataFrame(
    {"organization_id": ["A", "B"], "locality": ["urban", "rural"], "organizations": [1, 1]}
)
LEARNERS = pd.DataFrame(
    [
        # organization, level, grade, sex, learners, classes
        ("A", "primary", 1, "F", 10, 0),
        ("A", "primary", 1, "M", 12, 0),
        ("A", "primary", 1, None, 0, 1),
        ("B", "basic", 5, "F", 7, 0),
        ("B", "basic", 5, None, 0, 1),
        ("B", "secondary", 10, "F", 100, 0),  # outside the section's filter
    ],
    columns=["organization_id", "level", "grade", "sex", "learners", "classes"],
)


def test_the_queries_a_form_needs_and_their_dimensions():
    wanted = wanted_queries(FORM)
    assert wanted["learners"] == {"level", "grade", "sex"}
    assert "locality" in wanted["organizations"]  # always: attributes of every fact


def test_cells_sum_the_facts_that_meet_row_column_and_section_filters():
    values = fill(FORM, {"organizations": ORGANIZATIONS, "learners": LEARNERS})
    assert [values["1", "01", col] for col in "1234"] == [22, 10, 22, 1]
    assert [values["1", "02", col] for col in "123"] == [7, 7, 0]
    assert values["1", "02", "4"] is None  # X: does not apply
    assert [values["1", "03", col] for col in "1234"] == [29, 17, 22, 2]


def _one_by_one(form, facts):
    """``fill`` of each organization on its own facts, its non-zero cells."""
    each = {}
    for organization in facts["organizations"]["organization_id"]:
        own = {
            name: frame[frame["organization_id"] == organization] for name, frame in facts.items()
        }
        values = fill(form, own)
        each[organization] = {key: v for key, v in values.items() if v not in (None, 0)}
    return each


def test_every_organization_at_once_gives_each_organizations_own_cells():
    facts = {"organizations": ORGANIZATIONS, "learners": LEARNERS}
    each = nonzero_each_organization(FORM, facts)
    assert each == _one_by_one(FORM, facts)
    assert each["A"][("1", "01", "1")] == 22 and each["B"][("1", "02", "2")] == 7
    assert ("1", "02", "4") not in each["B"]  # X: does not apply, never listed


FTE_FORM = parse_form(
    yaml.safe_load("""
id: f
code: Ф-1
title: {ru: Тест, ky: Тест}
reporting_date: census
organizations: {sectors: [school]}
sections:
  - number: "1"
    title: {ru: Ставки, ky: Ставкалар}
    metric: teachers_fte
    columns:
      - {code: "1", label: {ru: Всего, ky: Бардыгы}}
      - {code: "2", label: {ru: женщины, ky: аялдар}, filter: {sex: F}}
    rows:
      - {code: "01", label: {ru: всего, ky: бардыгы}}
""")
)


def _teachers(fte):
    return pd.DataFrame(
        [("A", "F", fte[0]), ("A", "M", fte[1]), ("B", "F", fte[2]), ("C", "M", 0.0)],
        columns=["organization_id", "sex", "fte"],
    ).assign(teachers=1)


def test_fractions_summed_at_once_only_where_their_sums_are_exact_in_any_order():
    organizations = pd.DataFrame({"organization_id": ["A", "B", "C"], "organizations": [1, 1, 1]})
    for fte in ((0.5, 1.25, 0.75), (0.1, 0.2, 0.3)):  # quarters exact; tenths filled one by one
        facts = {"organizations": organizations, "teachers": _teachers(fte)}
        each = nonzero_each_organization(FTE_FORM, facts)
        assert each == _one_by_one(FTE_FORM, facts)
        assert each["C"] == {}  # listed, nothing to certify
