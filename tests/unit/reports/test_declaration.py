"""Form declarations: every shipped form holds together; a broken one says where."""

import copy

import pandas as pd
import pytest
import yaml

from reports.declaration import (
    FORMS_DIR,
    Condition,
    DeclarationError,
    Text,
    form_ids,
    load_form,
    parse_form,
    validate,
)
from reports.metrics import METRICS, dims_of

FORMS = ("1-proftech", "2-nk", "3-nk", "77", "85-k", "osh-1", "uis")
DIMS = {name: dims_of(name) for name in METRICS}


def raw(form_id: str) -> dict:
    return yaml.safe_load((FORMS_DIR / f"{form_id}.yml").read_text(encoding="utf-8"))


def test_the_six_state_forms_and_the_uis_tables_are_declared():
    assert tuple(form_ids()) == FORMS


@pytest.mark.parametrize("form_id", FORMS)
def test_every_form_holds_together(form_id):
    form = load_form(form_id)
    assert form.id == form_id and form.sections
    cells = list(form.cells())
    assert all(cell.metric in METRICS for cell in cells if not cell.blank)
    assert form.control_ratios(), "every form has control ratios"
    for section in form.sections:  # every label in both languages
        for item in (*section.rows, *section.columns):
            assert item.label.ru.strip() and item.label.ky.strip()


def test_osh1_has_the_sections_the_issue_asks_for():
    titles = [section.title.ru for section in load_form("osh-1").sections]
    for words in ("по классам", "языку обучения", "сменам", "году рождения", "образования",
                  "стажу", "Здания"):  # fmt: skip
        assert any(words in title for title in titles), words


def test_conditions_match_values_missing_values_and_ranges():
    column = pd.Series([1, 2, None, 4, 11], dtype=object)
    assert Condition("grade", values=(1, 4)).mask(column).tolist() == [1, 0, 0, 1, 0]
    assert Condition("grade", values=(None,)).mask(column).tolist() == [0, 0, 1, 0, 0]
    assert Condition("grade", values=(2, None)).mask(column).tolist() == [0, 1, 1, 0, 0]
    assert Condition("grade", low=2, high=10).mask(column).tolist() == [0, 1, 0, 1, 0]
    assert Condition("grade", low=5).mask(column).tolist() == [0, 0, 0, 0, 1]


def test_labels_may_count_back_from_the_reporting_year():
    label = Text("{year-7} г. и ранее", "{year-7}-ж. жана андан мурун")
    assert label.get("ru", 2025) == "2018 г. и ранее"
    assert label.get("ky", 2025).startswith("2018-ж.")
    assert Text("{year}", "{year+1}").get("ky", 2025) == "2026"


def broken(change) -> dict:
    data = copy.deepcopy(raw("osh-1"))
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["sections"][1].update(metric="pupils"), "unknown metric 'pupils'"),
        (lambda d: d["sections"][1]["rows"][0].update(filter={"grades": 1}), "no dimension"),
        (lambda d: d["sections"][1]["rows"][1].update(code="01"), "row codes: 01 twice"),
        (lambda d: d["sections"][1]["ratios"].append("стр. 99 = стр. 01"), "no code 99"),
        (lambda d: d["sections"][1]["ratios"].append("стр. 01 = стр. 02–04"), "needs 'сумма'"),
        (lambda d: d.update(reporting_date="easter"), "reporting_date"),
        (lambda d: d["sections"][0]["rows"][0].update(blank=["9"]), "blank names no column"),
        (lambda d: d["sections"][1]["rows"][0].update(metric="teachers"), "the row counts"),
    ],
)
def test_a_broken_declaration_says_what_and_where(change, message):
    with pytest.raises(DeclarationError, match=message):
        validate(parse_form(broken(change)), DIMS)


def test_an_unquoted_comma_in_a_label_is_caught():
    # YAML reads {ru: Библиотечный фонд, экземпляров, ky: ...} as three keys.
    label = {"ru": "Библиотечный фонд", "экземпляров": None, "ky": "Китепкана фонду"}
    data = broken(lambda d: d["sections"][0]["rows"][0].update(label=label))
    with pytest.raises(DeclarationError, match="exactly 'ru' and 'ky'"):
        parse_form(data)


def test_an_unknown_form_is_named():
    with pytest.raises(DeclarationError, match="no form 'osh-2'"):
        load_form("osh-2")
