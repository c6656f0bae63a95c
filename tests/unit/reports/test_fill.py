"""Filling cells from per-organization facts: filters of the row and the column together,
organization attributes joined where a cell asks for them, X where a cell does not apply."""

import pandas as pd
import yaml

from reports.declaration import parse_form
from reports.fill import fill, wanted_queries

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
